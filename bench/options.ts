// Command line of `npm run bench`: every bound in count and time, with its default, in one place.
import { scenarioNames, type ScenarioName } from "./scenarios.js";
import { strategyNames } from "./strategies.js";

export const usage = `npm run bench -- [options]

  --scenarios LIST     ${scenarioNames.join(",")} (default: all)
  --strategies LIST    ${strategyNames.join(",")} (default: all; echo and row-locking are the baselines)
  --concurrency LIST   closed loop: calls in flight, total over all workers (default 64)
  --rate LIST          open loop: calls started per second, total (no default; alone, it replaces --concurrency)
  --duration TIME      measured time per line, e.g. 10s, 1500ms (default 10s)
  --requests N         also stop a line after N measured calls (total over workers)
  --warmup TIME        load before measuring, not counted (default 2s)
  --repeat N           run each line N times, interleaved, and report the median by calls/s (default 1)
  --workers N          load generator processes (default 2)
  --servers N          server processes per strategy, on the one database; workers take turns (default 1)
  --channels N         grpc-js channels (HTTP/2 connections) per worker (default 2)
  --max-in-flight N    open loop: calls in flight per worker before new ones are dropped (default 5000)
  --deadline TIME      calls still out this long after a line stops are cancelled (default 30s)
  --pool N             DATABASE_POOL_SIZE of each server (default: the service's own default)
  --json FILE          write every figure as JSON
  --quick              short preset for CI: all scenarios, 64 in flight, 3s per line, 1s warmup
  --database-url URL   admin URL of PostgreSQL (default DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres)
  --help
`;

export interface Load { mode: "closed"; concurrency: number }
export interface OpenLoad { mode: "open"; rate: number }
export type LoadSpec = Load | OpenLoad;

export interface BenchOptions {
  scenarios: ScenarioName[];
  strategies: string[];
  loads: LoadSpec[];
  durationMs: number;
  requests: number | null;
  warmupMs: number;
  repeat: number;
  workers: number;
  servers: number;
  channelsPerWorker: number;
  maxInFlightPerWorker: number;
  deadlineMs: number;
  poolSize: number | null;
  jsonFile: string | null;
  quick: boolean;
  adminUrl: string;
}

/** Bounds a mistyped flag cannot exceed: keep the shared 2-core machine usable. */
export const durationMsMax = 10 * 60_000;
export const concurrencyMax = 4096;
export const rateMax = 200_000;
export const workersMax = 16;
export const repeatMax = 9;
export const serversMax = 4;

export function parseTime(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`${flag}: expected a time such as 10s or 500ms, got ${JSON.stringify(text)}`);
  const value = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(unit === "ms" ? value : unit === "s" ? value * 1000 : value * 60_000);
}

function parseCount(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag}: expected an integer ${min}-${max}, got ${JSON.stringify(text)}`);
  return n;
}

function parseList(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | "help" {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${JSON.stringify(arg)}\n\n${usage}`);
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    if (name === "quick" || name === "help") {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    values.set(name, value);
  }
  if (flags.has("help")) return "help";
  const known = new Set(["scenarios", "strategies", "concurrency", "rate", "duration", "requests", "warmup", "repeat", "workers", "servers", "channels", "max-in-flight", "deadline", "pool", "json", "database-url"]);
  for (const name of values.keys()) if (!known.has(name)) throw new Error(`unknown option --${name}\n\n${usage}`);

  const quick = flags.has("quick");
  const scenarios = parseList(values.get("scenarios") ?? scenarioNames.join(","));
  for (const s of scenarios) if (!(scenarioNames as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown scenario ${s} (known: ${scenarioNames.join(", ")})`);
  const strategies = parseList(values.get("strategies") ?? strategyNames.join(","));
  for (const s of strategies) if (!strategyNames.includes(s)) throw new Error(`--strategies: unknown strategy ${s} (known: ${strategyNames.join(", ")})`);

  const loads: LoadSpec[] = [];
  const rateText = values.get("rate");
  const concurrencyText = values.get("concurrency") ?? (rateText === undefined ? "64" : undefined);
  if (concurrencyText !== undefined) {
    for (const c of parseList(concurrencyText)) loads.push({ mode: "closed", concurrency: parseCount(c, "--concurrency", 1, concurrencyMax) });
  }
  if (rateText !== undefined) for (const r of parseList(rateText)) loads.push({ mode: "open", rate: parseCount(r, "--rate", 1, rateMax) });

  const durationMs = parseTime(values.get("duration") ?? (quick ? "3s" : "10s"), "--duration");
  if (durationMs < 100 || durationMs > durationMsMax) throw new Error(`--duration must be 100ms-${durationMsMax / 1000}s`);
  const warmupMs = parseTime(values.get("warmup") ?? (quick ? "1s" : "2s"), "--warmup");
  if (warmupMs > durationMsMax) throw new Error("--warmup too long");
  const deadlineMs = parseTime(values.get("deadline") ?? "30s", "--deadline");
  const requestsText = values.get("requests");

  return {
    scenarios: scenarios as ScenarioName[],
    strategies,
    loads,
    durationMs,
    requests: requestsText === undefined ? null : parseCount(requestsText, "--requests", 1, 100_000_000),
    warmupMs,
    repeat: parseCount(values.get("repeat") ?? "1", "--repeat", 1, repeatMax),
    workers: parseCount(values.get("workers") ?? "2", "--workers", 1, workersMax),
    servers: parseCount(values.get("servers") ?? "1", "--servers", 1, serversMax),
    channelsPerWorker: parseCount(values.get("channels") ?? "2", "--channels", 1, 64),
    maxInFlightPerWorker: parseCount(values.get("max-in-flight") ?? "5000", "--max-in-flight", 1, 100_000),
    deadlineMs,
    poolSize: values.has("pool") ? parseCount(values.get("pool")!, "--pool", 1, 100) : null,
    jsonFile: values.get("json") ?? null,
    quick,
    adminUrl: values.get("database-url") ?? (env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres"),
  };
}

export function describeLoad(load: LoadSpec): string {
  return load.mode === "closed" ? `${load.concurrency} in flight` : `${load.rate}/s open`;
}
