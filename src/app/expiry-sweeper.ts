// Runs the expiry sweep on a timer, one sweep at a time, until stopped.
import type { Logger } from "pino";
import type { ReservationApp } from "./reservations.js";

export function startExpirySweeper(app: ReservationApp, logger: Logger, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = app
      .sweepExpired()
      .then((released) => {
        if (released > 0) logger.info({ released }, "expired holds released");
      })
      .catch((error: unknown) => logger.warn({ err: error }, "expiry sweep failed; retrying on the next tick"))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
