// The embedded PostgreSQL for `npm start` with no DATABASE_URL: PGlite (PostgreSQL in WASM)
// served over the wire protocol by pglite-socket on 127.0.0.1, so the service talks to it
// through the same driver as to a real server. One backend: use a pool of exactly 1 connection.
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { freePort } from "../net/free-port.js";
import { lockDataDir } from "./data-dir-lock.js";

export interface EmbeddedPostgres {
  url: string;
  db: PGlite;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder kept across restarts; in memory when absent. */
  dataDir?: string;
  /** A tarball from PGlite's dumpDataDir to start from (tests clone a migrated template). */
  loadDataDir?: Blob;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  // A folder kept across restarts is opened by one process at a time (DataDirInUse otherwise).
  const lock = options.dataDir ? await lockDataDir(options.dataDir) : null;
  try {
    const db = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadDataDir });
    const port = await freePort();
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 1 });
    await server.start();
    return {
      url: `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
      db,
      async stop() {
        await server.stop();
        await db.close();
        await lock?.release();
      },
    };
  } catch (error) {
    await lock?.release();
    throw error;
  }
}
