// `npm run forecast -- import ...` and `npm run forecast -- run ...`: the worker's commands that
// need the database. Each returns its exit code:
//   0 done; 1 bad input, or a run that did not succeed (run it again to resume);
//   2 usage or settings error; 3 another worker holds the lock (run --once).
// The database is DATABASE_URL, or with --embedded the embedded database in STOCKHOLD_DATA_DIR
// (only while the service is stopped: PGlite has one writer).
import { readFile } from "node:fs/promises";
import { schedule as scheduleTask } from "node-cron";
import { pino, type Logger } from "pino";
import { systemClock, type Clock } from "../src/app/clock.js";
import { loadConfig } from "../src/config.js";
import { startEmbeddedPostgres } from "../src/db/embedded.js";
import { migrate, openOrm, type Orm } from "../src/db/orm.js";
import { isRunId } from "./decisions.js";
import { importSales } from "./import.js";
import { planImport } from "./import-plan.js";
import { advisoryRunLock, embeddedRunLock, type RunLockProvider } from "./run-lock.js";
import { parseWorkerConfig, type WorkerConfig } from "./worker-config.js";
import { runForecastOnce, type RunResult } from "./worker.js";

export const exitBadInput = 1;
export const exitUsage = 2;
export const exitLocked = 3;

export const dbUsage = `  import FILE [--warehouse ID] [--embedded]
      load a sales CSV into sales_history, all rows or none; a series_id file needs
      --warehouse (its series_id becomes the sku); weeks and months are stored at their first day
  run --once [--run-id ID] [--embedded]
      run the worker now (default run id forecast-YYYY-MM-DD of today, UTC); resumes a run
      that did not finish, and does nothing for one that succeeded
  run [--embedded]
      run on the FORECAST_SCHEDULE (cron, UTC; default "0 2 * * *") until SIGTERM or SIGINT`;

export interface OpenedDatabase {
  orm: Orm;
  /** How this database keeps one worker at a time. */
  lock: RunLockProvider;
  close(): Promise<void>;
}

export interface CommandDeps {
  env?: Record<string, string | undefined>;
  /** Opens the database: by default DATABASE_URL, or the embedded one with --embedded. */
  openDatabase?: (embedded: boolean, env: Record<string, string | undefined>) => Promise<OpenedDatabase>;
  clock?: Clock;
  logger?: Logger;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Ends the schedule (default: SIGTERM or SIGINT). */
  signal?: AbortSignal;
  /** Called after each scheduled run. */
  onRun?: (result: RunResult) => void;
}

interface Io {
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
  logger: Logger;
}

function ioOf(deps: CommandDeps): Io {
  const env = deps.env ?? process.env;
  return {
    env,
    out: deps.stdout ?? ((t) => process.stdout.write(t)),
    err: deps.stderr ?? ((t) => process.stderr.write(t)),
    // Logs go to stderr, so stdout carries only the command's result.
    logger: deps.logger ?? pino({ level: env.LOG_LEVEL ?? "info" }, pino.destination(2)),
  };
}

async function defaultOpenDatabase(embedded: boolean, env: Record<string, string | undefined>): Promise<OpenedDatabase> {
  const config = loadConfig(env as NodeJS.ProcessEnv);
  if (config.databaseUrl !== null) {
    const orm = await openOrm({ url: config.databaseUrl, poolSize: 2 });
    await migrate(orm);
    return { orm, lock: advisoryRunLock(config.databaseUrl), close: () => orm.close(true) };
  }
  if (!embedded) throw new Error("unreachable: checked by the caller");
  const db = await startEmbeddedPostgres({ dataDir: config.embeddedDataDir });
  const orm = await openOrm({ url: db.url, poolSize: 1 });
  await migrate(orm);
  return {
    orm, lock: embeddedRunLock,
    async close() {
      await orm.close(true);
      await db.stop();
    },
  };
}

/** Opens the database, or explains why not (exit code). */
async function open(embedded: boolean, io: Io, deps: CommandDeps): Promise<OpenedDatabase | number> {
  if (!deps.openDatabase && !io.env.DATABASE_URL && !embedded) {
    io.err("Set DATABASE_URL, or pass --embedded to open the embedded database in STOCKHOLD_DATA_DIR (stop the service first).\n");
    return exitUsage;
  }
  return (deps.openDatabase ?? defaultOpenDatabase)(embedded, io.env);
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export interface ImportArgs { file: string; warehouse: string | null; embedded: boolean }

export function parseImportArgs(argv: readonly string[]): Parsed<ImportArgs> {
  const value: ImportArgs = { file: "", warehouse: null, embedded: false };
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--embedded") value.embedded = true;
    else if (arg === "--warehouse") {
      const id = argv[++i];
      if (id === undefined) return { ok: false, message: "--warehouse needs a warehouse id" };
      value.warehouse = id;
    } else if (arg.startsWith("--")) return { ok: false, message: `unknown option "${arg}"` };
    else files.push(arg);
  }
  if (files.length !== 1) return { ok: false, message: `import needs exactly one FILE, got ${files.length}` };
  value.file = files[0] as string;
  return { ok: true, value };
}

export interface RunArgs { once: boolean; runId: string | null; embedded: boolean }

export function parseRunArgs(argv: readonly string[]): Parsed<RunArgs> {
  const value: RunArgs = { once: false, runId: null, embedded: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--once") value.once = true;
    else if (arg === "--embedded") value.embedded = true;
    else if (arg === "--run-id") {
      const id = argv[++i];
      if (id === undefined || !isRunId(id)) return { ok: false, message: `--run-id needs 1-64 characters of A-Z a-z 0-9 . _ -, got ${JSON.stringify(id ?? "")}` };
      value.runId = id;
    } else return { ok: false, message: `unknown option "${arg}"` };
  }
  if (value.runId !== null && !value.once) return { ok: false, message: "--run-id goes with --once (scheduled runs take the id of their day)" };
  return { ok: true, value };
}

export async function runImportCommand(argv: string[], deps: CommandDeps = {}): Promise<number> {
  const io = ioOf(deps);
  const args = parseImportArgs(argv);
  if (!args.ok) {
    io.err(`${args.message}\nusage: npm run forecast --\n${dbUsage}\n`);
    return exitUsage;
  }
  const { file, warehouse } = args.value;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    io.err(`cannot read ${file}: ${(error as Error).message}\n`);
    return exitBadInput;
  }
  const planned = planImport(text, warehouse);
  if (!planned.ok) return reportErrors(io, file, planned.errors);
  const db = await open(args.value.embedded, io, deps);
  if (typeof db === "number") return db;
  try {
    const result = await importSales(db.orm, planned.plan);
    if (!result.ok) return reportErrors(io, file, result.errors);
    const { plan } = planned;
    io.out(`${JSON.stringify({ file, rows: result.rows, series: plan.series, period: plan.kind, warehouses: [...plan.warehouses.keys()].sort() })}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

function reportErrors(io: Io, file: string, errors: { line: number; message: string }[]): number {
  for (const e of errors) io.err(e.line === 0 ? `${file}: ${e.message}\n` : `${file}:${e.line}: ${e.message}\n`);
  io.err(`${errors.length} error(s); nothing was imported\n`);
  return exitBadInput;
}

export async function runWorkerCommand(argv: string[], deps: CommandDeps = {}): Promise<number> {
  const io = ioOf(deps);
  const args = parseRunArgs(argv);
  if (!args.ok) {
    io.err(`${args.message}\nusage: npm run forecast --\n${dbUsage}\n`);
    return exitUsage;
  }
  const config = parseWorkerConfig(io.env);
  if (!config.ok) {
    for (const e of config.errors) io.err(`${e}\n`);
    return exitUsage;
  }
  const db = await open(args.value.embedded, io, deps);
  if (typeof db === "number") return db;
  try {
    const clock = deps.clock ?? systemClock;
    if (args.value.once) {
      const result = await runForecastOnce({ orm: db.orm, config: config.value, clock, logger: io.logger, lock: db.lock, ...(args.value.runId ? { runId: args.value.runId } : {}) });
      io.out(`${JSON.stringify(resultView(result))}\n`);
      if (result.status === "locked") return exitLocked;
      return result.status === "finished" && result.run.state !== "SUCCEEDED" ? exitBadInput : 0;
    }
    return await runSchedule(db, config.value, clock, io, deps);
  } finally {
    await db.close();
  }
}

function resultView(result: RunResult): Record<string, unknown> {
  if (result.status === "locked") return { status: result.status, runId: result.runId };
  const { settings: _settings, ...run } = result.run;
  return { status: result.status, ...run };
}

/** Runs on the schedule until the signal; a run in progress stops between stock levels. */
async function runSchedule(db: OpenedDatabase, config: WorkerConfig, clock: Clock, io: Io, deps: CommandDeps): Promise<number> {
  const stop = deps.signal ? null : new AbortController();
  const signal = deps.signal ?? stop!.signal;
  const onSignal = () => stop?.abort();
  if (stop) {
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  let running: Promise<void> | null = null;
  const log = io.logger;
  const task = scheduleTask(config.schedule, () => {
    running = runForecastOnce({ orm: db.orm, config, clock, logger: log, lock: db.lock, signal })
      .then((result) => deps.onRun?.(result))
      .catch((error: unknown) => log.error({ err: error }, "scheduled forecast run failed; trying again at the next time"))
      .finally(() => {
        running = null;
      });
    return running;
  }, {
    name: "forecast-worker", timezone: "UTC", noOverlap: true,
    logger: { info: (m) => log.debug(m), warn: (m) => log.warn(m), error: (m) => log.error(m), debug: (m) => log.debug(m) },
  });
  log.info({ schedule: config.schedule, timezone: "UTC", next: task.getNextRun() }, "forecast worker scheduled");
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  await task.destroy();
  await running;
  if (stop) {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
  log.info("forecast worker stopped");
  return 0;
}
