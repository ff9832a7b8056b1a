// Runs a job on a timer, one run at a time, until stopped: the expiry sweeper and the
// reconciliation job.
import type { Logger } from "pino";

export function startPeriodicJob(name: string, logger: Logger, intervalMs: number, run: () => Promise<unknown>): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = run()
      .then(() => undefined)
      .catch((error: unknown) => logger.warn({ err: error, job: name }, "periodic job failed; retrying on the next tick"))
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
