// `npm run bench`: the reservation throughput benchmark of issue 5.
//
// On a fresh database of the real PostgreSQL it starts one server process per strategy (the
// echo server, the service with each reserve strategy), then runs every scenario x load x
// strategy as one line: seed (set-based SQL), drive it from N forked load generator processes
// (bench/worker.ts, grpc-js), merge their histograms, and audit the database against the
// answers. Lines of one scenario and load run back to back, so their ratio holds on a noisy
// machine. Any oversell or mismatch fails the run (exit 1).
import { fork, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { auditDatabase, auditLine, createDatabase, seedLine, sumTotals, type BenchDatabase, type LineAudit } from "./database.js";
import { describeLoad, parseOptions, usage, type BenchOptions, type LoadSpec } from "./options.js";
import { machineCpu, processCpuMs, repoRoot, startChild, type Child } from "./processes.js";
import { sellOutWaitMsMax, type FromWorker, type ToWorker, type WorkerJob, type WorkerMeasurement, type WorkerTotals } from "./protocol.js";
import { auditLabel, errorSummary, goals, mergeMeasurements, ratioTable, ratios, summarize, table, type LineResult } from "./report.js";
import { scenarios, type Scenario } from "./scenarios.js";
import { strategyNamed, type Strategy } from "./strategies.js";

const workerScript = fileURLToPath(new URL("./worker.ts", import.meta.url));
/** Workers connect and report ready within this. */
const workerReadyMsMax = 30_000;
/** Delay between "all ready" and the common start, so every worker starts on time. */
const startDelayMs = 300;
/** Beyond warmup + duration + deadline, how long a line may take before its workers are killed. */
const lineSlackMs = 30_000;

const loud = (text: string) => `\n${"!".repeat(78)}\n${text}\n${"!".repeat(78)}\n`;

interface Running {
  options: BenchOptions;
  db: BenchDatabase;
  /** Server processes of each strategy (--servers of them, on the one database). */
  servers: Map<string, Child[]>;
  workers: Set<ChildProcess>;
  /** Set by SIGINT/SIGTERM: no further line starts. */
  aborted: boolean;
}

function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

/** Runs one line's workers and returns their reports. */
async function drive(run: Running, targets: string[], job: Omit<WorkerJob, "target" | "workerIndex" | "concurrency" | "rate" | "requests">, load: LoadSpec, onMeasuring: () => void): Promise<{ measured: WorkerMeasurement; totals: WorkerTotals }[]> {
  const { options } = run;
  // At least one worker per server, so every server process takes load.
  const wanted = Math.max(options.workers, targets.length);
  const count = load.mode === "closed" ? Math.min(wanted, load.concurrency) : wanted;
  const concurrency = load.mode === "closed" ? splitEvenly(load.concurrency, count) : Array<number>(count).fill(0);
  const rates = load.mode === "open" ? splitEvenly(load.rate, count) : Array<number>(count).fill(0);
  const requests = options.requests === null ? null : splitEvenly(options.requests, count);
  const children = Array.from({ length: count }, () => fork(workerScript, [], { cwd: repoRoot, execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  for (const c of children) run.workers.add(c);
  try {
    const ready = children.map((c) => new Promise<void>((resolve, reject) => {
      c.once("exit", (code) => reject(new Error(`a worker exited (${code}) before it was ready`)));
      c.on("message", (m: FromWorker) => {
        if (m.type === "ready") resolve();
        if (m.type === "failed") reject(new Error(`worker failed: ${m.message}`));
      });
    }));
    let measuring = false;
    const results = children.map((c) => new Promise<{ measured: WorkerMeasurement; totals: WorkerTotals }>((resolve, reject) => {
      c.on("message", (m: FromWorker) => {
        if (m.type === "measuring" && !measuring) {
          measuring = true;
          onMeasuring();
        }
        if (m.type === "result") resolve({ measured: m.measured, totals: m.totals });
        if (m.type === "failed") reject(new Error(`worker failed: ${m.message}`));
      });
      c.once("exit", (code) => reject(new Error(`a worker exited (${code}) without a result`)));
    }));
    // Avoid unhandled rejections from the promises not yet awaited.
    for (const p of [...ready, ...results]) p.catch(() => undefined);
    children.forEach((c, i) => c.send({
      type: "job",
      job: { ...job, target: targets[i % targets.length]!, workerIndex: i, concurrency: concurrency[i]!, rate: rates[i]!, requests: requests ? requests[i]! : null },
    } satisfies ToWorker));
    await withTimeout(Promise.all(ready), workerReadyMsMax, "workers did not connect");
    const atEpochMs = Date.now() + startDelayMs;
    for (const c of children) c.send({ type: "start", atEpochMs } satisfies ToWorker);
    const lineMsMax = startDelayMs + job.warmupMs + sellOutWaitMsMax + job.durationMs + job.deadlineMs + lineSlackMs;
    return await withTimeout(Promise.all(results), lineMsMax, "workers did not finish");
  } finally {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      run.workers.delete(c);
    }
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${Math.round(ms / 1000)}s`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

async function databasePids(client: pg.Client, database: string): Promise<number[]> {
  const { rows } = await client.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
  return rows.map((r) => Number(r.pid));
}

interface CpuSample { at: number; server: number | null; db: Map<number, number>; machine: { busy: number; total: number } | null }

async function sampleCpu(run: Running, servers: Child[]): Promise<CpuSample> {
  const db = new Map<number, number>();
  const pids = await databasePids(run.db.client, run.db.name).catch(() => [] as number[]);
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms !== null) db.set(pid, ms);
  }
  const each = servers.map((s) => processCpuMs(s.process.pid));
  const server = each.some((x) => x === null) ? null : each.reduce<number>((a, b) => a + b!, 0);
  return { at: performance.now(), server, db, machine: machineCpu() };
}

function cpuBetween(a: CpuSample, b: CpuSample): { server: number | null; database: number | null; machine: number | null } {
  const wallMs = Math.max(1, b.at - a.at);
  let dbMs = 0;
  for (const [pid, ms] of b.db) dbMs += ms - (a.db.get(pid) ?? 0);
  return {
    server: a.server === null || b.server === null ? null : ((b.server - a.server) / wallMs) * 100,
    database: b.db.size === 0 ? null : (dbMs / wallMs) * 100,
    machine: a.machine && b.machine ? ((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * 100 * os.cpus().length : null,
  };
}

async function runLine(run: Running, lineNo: number, repetition: number, scenario: Scenario, strategy: Strategy, load: LoadSpec): Promise<LineResult> {
  const { options } = run;
  const line = `L${String(lineNo).padStart(2, "0")}`;
  const servers = run.servers.get(strategy.name)!;
  const base: LineResult = {
    line, repetition, scenario: scenario.name, strategy: strategy.name, load, calls: 0, elapsedMs: 0, callsPerSecond: 0, reservations: 0, reservationsPerSecond: 0,
    latencyMs: { mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }, outcomes: {}, resultOutcomes: {}, ok: 0, rejected: 0, errors: 0, dropped: 0,
    cpuPercent: { server: null, database: null, clients: 0, machine: null }, unitsGranted: 0, audit: null, failure: null,
  };
  process.stdout.write(`${line} ${scenario.name} · ${describeLoad(load)} · ${strategy.name} ... `);
  try {
    if (strategy.kind === "server") await seedLine(run.db.client, line, scenario);
    let first: Promise<CpuSample> | null = null;
    let last: Promise<CpuSample> | null = null;
    const timers: NodeJS.Timeout[] = [];
    const reports = await drive(run, servers.map((x) => x.address), {
      scenario: scenario.name, line, mode: load.mode, maxInFlight: options.maxInFlightPerWorker,
      channels: options.channelsPerWorker, warmupMs: options.warmupMs, durationMs: options.durationMs, deadlineMs: options.deadlineMs,
    }, load, () => {
      first = sampleCpu(run, servers);
      timers.push(setTimeout(() => { last = sampleCpu(run, servers); }, options.durationMs));
    });
    for (const t of timers) clearTimeout(t);
    const sampleEnd: Promise<CpuSample> = last ?? sampleCpu(run, servers);
    const merged = mergeMeasurements(reports.map((r) => r.measured));
    const totals = sumTotals(reports.map((r) => r.totals));
    const expected = new Set(scenario.expectedRejections);
    const rejected = Object.entries(merged.outcomes).filter(([k]) => expected.has(k)).reduce((s, [, v]) => s + v, 0);
    const okCalls = merged.outcomes.OK ?? 0;
    const cpu = first ? cpuBetween(await first, await sampleEnd) : { server: null, database: null, machine: null };
    const result: LineResult = {
      ...base,
      calls: merged.calls, elapsedMs: merged.elapsedMs, callsPerSecond: merged.callsPerSecond, latencyMs: merged.latencyMs, outcomes: merged.outcomes,
      reservations: merged.reservations, reservationsPerSecond: merged.reservationsPerSecond, resultOutcomes: merged.resultOutcomes,
      ok: okCalls, rejected, errors: merged.calls - okCalls - rejected, dropped: merged.dropped,
      cpuPercent: { ...cpu, clients: (merged.cpuMs / Math.max(1, merged.elapsedMs)) * 100 },
      unitsGranted: totals.unitsGranted,
      audit: strategy.kind === "server" ? await auditLine(run.db.client, line, scenario, totals) : null,
    };
    const { latencyMs: l } = result;
    const reservationRate = scenario.name === "batch" ? ` (${Math.round(result.reservationsPerSecond).toLocaleString("en")} reservations/s)` : "";
    process.stdout.write(`${Math.round(result.callsPerSecond).toLocaleString("en")} calls/s${reservationRate}, p50 ${l.p50} ms, p99 ${l.p99} ms, audit ${auditLabel(result)}\n`);
    if (scenario.sellsOut && strategy.kind === "server") {
      const total = scenario.skuCount * scenario.unitsPerSku;
      process.stdout.write(`    granted ${totals.unitsGranted} of ${total} units, ${totals.reserveRejected} refused${totals.reserveRejected === 0 ? " (did not sell out: measured without refusals)" : ""}\n`);
    }
    const errors = errorSummary(result);
    if (errors) process.stdout.write(`    outcomes other than OK: ${errors}\n`);
    if (result.audit && !result.audit.ok) process.stdout.write(loud(`AUDIT FAILED: ${line} ${scenario.name} ${strategy.name}\n${formatAudit(result.audit)}`));
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stdout.write(`FAILED: ${message}\n`);
    return { ...base, failure: message };
  }
}

function formatAudit(a: LineAudit): string {
  return a.checks.map((c) => `  [${c.ok ? "ok" : "FAIL"}] ${c.name}: ${c.detail}`).join("\n");
}

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === "help") {
    process.stdout.write(usage);
    return 0;
  }
  const options = parsed;
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  const chosen = options.strategies.map(strategyNamed);
  const dbName = `stockhold_bench_${process.pid}`;
  const db = await createDatabase(options.adminUrl, dbName);
  const run: Running = { options, db, servers: new Map(), workers: new Set(), aborted: false };

  let cleaning: Promise<void> | null = null;
  const cleanup = () => (cleaning ??= (async () => {
    for (const w of run.workers) w.kill("SIGKILL");
    for (const list of run.servers.values()) for (const s of list) await s.stop().catch(() => undefined);
    await db.drop().catch((e: unknown) => process.stderr.write(`could not drop ${dbName}: ${String(e)}\n`));
  })());
  const onSignal = (signal: NodeJS.Signals) => {
    run.aborted = true;
    process.stderr.write(`\n${signal}: stopping servers and dropping ${dbName}\n`);
    void cleanup().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    const { rows: [version] } = await db.client.query(`SHOW server_version`);
    const { rows: [sync] } = await db.client.query(`SHOW synchronous_commit`);
    process.stdout.write(
      `Stockhold reservation benchmark · database ${dbName} (PostgreSQL ${version.server_version}, synchronous_commit ${sync.synchronous_commit})\n` +
      `${options.servers} server process(es) per strategy; load generator: ${Math.max(options.workers, options.servers)} grpc-js worker process(es) x ${options.channelsPerWorker} channel(s), ` +
      `${options.warmupMs / 1000}s warmup + ${options.durationMs / 1000}s per line${options.requests ? ` or ${options.requests} calls` : ""}` +
      `${options.repeat > 1 ? `, ${options.repeat} repetitions` : ""}; ` +
      `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}\n`,
    );
    // The servers of every strategy, started one after another: the first applies the migrations.
    for (const s of chosen) {
      const env: Record<string, string> = s.kind === "server"
        ? { ...s.env, DATABASE_URL: db.url, LOG_LEVEL: "warn", ...(options.poolSize ? { DATABASE_POOL_SIZE: String(options.poolSize) } : {}) }
        : { ...s.env };
      const list: Child[] = [];
      run.servers.set(s.name, list);
      for (let i = 0; i < options.servers; i++) {
        const name = options.servers > 1 ? `${s.name}#${i + 1}` : s.name;
        list.push(await startChild(name, s.kind === "server" ? "src/main.ts" : "bench/echo-server.ts", env));
      }
    }

    const results: LineResult[] = [];
    const skipped: { scenario: string; strategy: string; reason: string }[] = [];
    let lineNo = 1;
    // The strategies of one scenario and load run back to back, repetitions too, so whatever
    // else loads the machine meanwhile weighs on all of them alike.
    for (const name of options.scenarios) {
      for (const load of options.loads) {
        for (let rep = 1; rep <= options.repeat; rep++) {
          for (const s of chosen) {
            if (run.aborted) return 130;
            const notFor = scenarios[name].notFor?.[s.name];
            if (notFor) {
              if (load === options.loads[0] && rep === 1) {
                process.stdout.write(`    ${name} · ${s.name}: not run: ${notFor}\n`);
                skipped.push({ scenario: name, strategy: s.name, reason: notFor });
              }
              continue;
            }
            results.push(await runLine(run, lineNo++, rep, scenarios[name], s, load));
          }
        }
      }
    }

    // Without a server strategy nothing migrated the database: there is nothing to audit.
    const whole = chosen.some((s) => s.kind === "server") ? await auditDatabase(db.client) : { ok: true, checks: [], resolvedUnknownCalls: 0 };
    const summary = summarize(results);
    const ratioList = ratios(results);
    const verdicts = goals(summary, ratioList);
    if (options.repeat > 1) process.stdout.write(`\nmedian of ${options.repeat} repetitions by calls/s (every repetition audited):`);
    process.stdout.write(`\n${table(summary)}\n`);
    if (ratioList.length) process.stdout.write(`\nratios of calls/s (same scenario, load and repetition; the median over repetitions):\n${ratioTable(ratioList)}\n`);
    process.stdout.write(`\nwhole database after every line:\n${formatAudit(whole)}\n`);
    if (verdicts.length) {
      process.stdout.write(`\nissue-5 goals, from this run:\n${verdicts.map((v) => `  [${v.status}] ${v.strategy}: ${v.goal} (${v.detail})`).join("\n")}\n`);
    }

    const failedAudits = results.filter((r) => r.audit && !r.audit.ok);
    const failedLines = results.filter((r) => r.failure);
    const serverBugs = results.filter((r) => [...Object.keys(r.outcomes), ...Object.keys(r.resultOutcomes)].some((k) => k.startsWith("INTERNAL") || k.startsWith("UNKNOWN")));
    const ok = failedAudits.length === 0 && failedLines.length === 0 && whole.ok && serverBugs.length === 0;
    if (options.jsonFile) {
      writeFileSync(options.jsonFile, `${JSON.stringify({
        startedAt, finishedAt: new Date().toISOString(), argv: process.argv.slice(2), options,
        machine: { cores: os.cpus().length, model: os.cpus()[0]?.model, loadAverageAtStart, loadAverageAtEnd: os.loadavg(), node: process.version, postgres: version.server_version, synchronousCommit: sync.synchronous_commit },
        loadGenerator: `${Math.max(options.workers, options.servers)} grpc-js worker processes (bench/worker.ts), ${options.channelsPerWorker} channels each`,
        strategies: chosen, summary, lines: results, skipped, ratios: ratioList, goals: verdicts, databaseAudit: whole, ok,
      }, null, 2)}\n`);
      process.stdout.write(`\nwrote ${options.jsonFile}\n`);
    }
    if (!ok) {
      const why = [
        ...failedAudits.map((r) => `${r.line} ${r.scenario} ${r.strategy}: audit mismatch\n${formatAudit(r.audit!)}`),
        ...failedLines.map((r) => `${r.line} ${r.scenario} ${r.strategy}: did not run: ${r.failure}`),
        ...serverBugs.map((r) => `${r.line} ${r.scenario} ${r.strategy}: server errors ${errorSummary(r)}`),
        ...(whole.ok ? [] : [`whole-database invariants:\n${formatAudit(whole)}`]),
      ];
      process.stdout.write(loud(`BENCHMARK FAILED\n${why.join("\n")}`));
      return 1;
    }
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
