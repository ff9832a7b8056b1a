// Probes the database on a timer and reports SERVING / NOT_SERVING, so load balancers and
// grpcurl see an outage as it happens and the recovery without a restart.
import type { Logger } from "pino";
import type { DatabasePing } from "../db/probe-connection.js";
import { startPeriodicJob } from "./periodic-job.js";

export function startDatabaseProbe(
  database: DatabasePing, logger: Logger, intervalMs: number, timeoutMs: number, onChange: (serving: boolean) => void,
): { stop(): Promise<void> } {
  let serving = true;
  const job = startPeriodicJob("database probe", logger, intervalMs, async () => {
    let ok: boolean;
    try {
      await Promise.race([
        database.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref()),
      ]);
      ok = true;
    } catch (error) {
      ok = false;
      if (serving) logger.error({ err: error }, "database unreachable: health is NOT_SERVING");
    }
    if (ok !== serving) {
      serving = ok;
      if (ok) logger.info("database reachable again: health is SERVING");
      onChange(ok);
    }
  });
  return {
    async stop() {
      await job.stop();
      await database.close();
    },
  };
}
