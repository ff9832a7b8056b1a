// A private PostgreSQL cluster for one test (initdb in a temporary folder, its own port on
// 127.0.0.1 and socket folder), so a test can stop and restart PostgreSQL without touching the
// shared server on 5432 that every other test uses.
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./process.js";

const run = promisify(execFile);

/** The bin folder of an installed PostgreSQL with initdb (15 preferred), or null. */
export function postgresBinDir(): string | null {
  const preferred = "/usr/lib/postgresql/15/bin";
  if (existsSync(join(preferred, "initdb"))) return preferred;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : null;
}

export interface PrivateCluster {
  port: number;
  /** postgresql:// URL of a database in this cluster. */
  url(database: string): string;
  /** Fast restart: terminates sessions, checkpoints, starts again. */
  restart(): Promise<void>;
  /** Immediate stop: a crash, as a kill -9 of the postmaster would be; the next start recovers. */
  crash(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Whether it accepts connections now. */
  ready(): Promise<boolean>;
  log(): Promise<string>;
  destroy(): Promise<void>;
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("no PostgreSQL initdb installed");
  const dir = await mkdtemp(join(tmpdir(), "stockhold-pg-"));
  const data = join(dir, "data");
  const logFile = join(dir, "log");
  // PostgreSQL refuses to run as root: run its tools as the postgres user when we are root.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const tool = (name: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, name), ...args]) : run(join(bin, name), args);

  await tool("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=16MB`;
  const ctl = (...args: string[]) => tool("pg_ctl", ["-D", data, "-l", logFile, "-w", "-t", "30", ...args]);
  const url = (database: string) => `postgresql://postgres@127.0.0.1:${port}/${database}`;

  let destroyed = false;
  const cluster: PrivateCluster = {
    port,
    url,
    restart: async () => void (await ctl("-o", options, "-m", "fast", "restart")),
    crash: async () => void (await ctl("-m", "immediate", "stop")),
    stop: async () => void (await ctl("-m", "fast", "stop")),
    start: async () => void (await ctl("-o", options, "start")),
    async ready() {
      const client = new pg.Client({ connectionString: url("postgres"), connectionTimeoutMillis: 1_000 });
      client.on("error", () => {});
      try {
        await client.connect();
        await client.query("SELECT 1");
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => {});
      }
    },
    log: () => readFile(logFile, "utf8").catch(() => ""),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await ctl("-m", "immediate", "stop").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

/** Creates a database in the cluster (the service migrates it at start). */
export async function createDatabase(cluster: PrivateCluster, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: cluster.url("postgres") });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  return cluster.url(name);
}
