// Opens the service's database for a command-line tool: DATABASE_URL, or with --embedded the
// embedded database's folder (only while the service is stopped: PGlite has one writer, and the
// folder's lock refuses a second process).
import { loadConfig } from "../config.js";
import { DataDirInUse } from "../db/data-dir-lock.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../db/embedded.js";
import { migrate, openOrm, type Orm } from "../db/orm.js";

export async function openToolDatabase(argv: string[]): Promise<{ orm: Orm; close(): Promise<void> }> {
  const config = loadConfig();
  let embedded: EmbeddedPostgres | null = null;
  let url = config.databaseUrl;
  if (url === null) {
    if (!argv.includes("--embedded")) {
      console.error("Set DATABASE_URL, or pass --embedded to open the embedded database in STOCKHOLD_DATA_DIR (stop the service first).");
      process.exit(2);
    }
    try {
      embedded = await startEmbeddedPostgres({ dataDir: config.embeddedDataDir });
    } catch (error) {
      if (!(error instanceof DataDirInUse)) throw error;
      console.error(`${error.message} (or set DATABASE_URL).`);
      process.exit(2);
    }
    url = embedded.url;
  }
  const orm = await openOrm({ url, poolSize: embedded ? 1 : 2 });
  await migrate(orm);
  return {
    orm,
    async close() {
      await orm.close(true);
      if (embedded) await embedded.stop();
    },
  };
}
