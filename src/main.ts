// Entry point: configuration, database (embedded when DATABASE_URL is unset), migrations,
// the gRPC server, and a graceful shutdown on SIGTERM/SIGINT.
import { pino } from "pino";
import { loadConfig } from "./config.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./db/embedded.js";
import { DataDirInUse } from "./db/data-dir-lock.js";
import { migrate, openOrm } from "./db/orm.js";
import { startServer } from "./server.js";

const config = loadConfig();
const logger = pino({ level: config.logLevel });

let embedded: EmbeddedPostgres | null = null;
let url = config.databaseUrl;
if (url === null) {
  try {
    embedded = await startEmbeddedPostgres({ dataDir: config.embeddedDataDir });
  } catch (error) {
    if (!(error instanceof DataDirInUse)) throw error;
    logger.error(error.message);
    process.exit(1);
  }
  url = embedded.url;
  logger.info({ dataDir: config.embeddedDataDir }, "DATABASE_URL is unset: serving the embedded PostgreSQL (PGlite)");
}
const orm = await openOrm({ url, poolSize: embedded ? 1 : config.databasePoolSize });
const applied = await migrate(orm);
logger.info({ applied }, applied.length ? "migrations applied" : "schema up to date");

const server = await startServer({ orm, logger, host: config.grpcHost, port: config.grpcPort, databaseProbeUrl: embedded ? null : url });

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down: draining calls");
  await server.shutdown();
  await orm.close(true);
  if (embedded) await embedded.stop();
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
