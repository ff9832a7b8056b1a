// Figures of a benchmark run: merged histograms, the table, ratios to the baselines, and the
// issue-5 goals judged from what this run measured.
import * as hdr from "hdr-histogram-js";
import type { LineAudit } from "./database.js";
import { describeLoad, type LoadSpec } from "./options.js";
import { histogramMicrosMax, type WorkerMeasurement } from "./protocol.js";
import { batchReservationsPerCall, type ScenarioName } from "./scenarios.js";
import { strategyNamed } from "./strategies.js";

export interface LatencyMs { mean: number; p50: number; p90: number; p99: number; p999: number; max: number }

export interface LineResult {
  line: string;
  /** 1-based; with --repeat, the summary keeps the median repetition. */
  repetition: number;
  scenario: ScenarioName;
  strategy: string;
  load: LoadSpec;
  calls: number;
  elapsedMs: number;
  callsPerSecond: number;
  /** Reservations made by the measured calls (an OK Reserve answer, a batch result holding one). */
  reservations: number;
  reservationsPerSecond: number;
  latencyMs: LatencyMs;
  /** Measured calls by outcome ("OK", "<code>/<reason>"). */
  outcomes: Record<string, number>;
  /** Results of measured BatchReserve calls that hold no reservation, by "<code>/<reason>". */
  resultOutcomes: Record<string, number>;
  ok: number;
  /** The scenario's expected, clean refusals. */
  rejected: number;
  /** Everything else that was not OK. */
  errors: number;
  dropped: number;
  /** CPU used during the measured window, in % of one core. */
  cpuPercent: { server: number | null; database: number | null; clients: number; machine: number | null };
  /** Units granted by successful answers over the whole line, warmup included. */
  unitsGranted: number;
  audit: LineAudit | null;
  failure: string | null;
}

const us = (v: number) => Math.round(v) / 1000;

export interface MergedMeasurement {
  calls: number; callsPerSecond: number; reservations: number; reservationsPerSecond: number; elapsedMs: number; latencyMs: LatencyMs;
  outcomes: Record<string, number>; resultOutcomes: Record<string, number>; dropped: number; cpuMs: number;
}

export function mergeMeasurements(parts: WorkerMeasurement[]): MergedMeasurement {
  const merged = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: histogramMicrosMax, numberOfSignificantValueDigits: 3 });
  const outcomes: Record<string, number> = {};
  const resultOutcomes: Record<string, number> = {};
  let calls = 0;
  let callsPerSecond = 0;
  let reservations = 0;
  let reservationsPerSecond = 0;
  let elapsedMs = 0;
  let dropped = 0;
  let cpuMs = 0;
  for (const p of parts) {
    const h = hdr.decodeFromCompressedBase64(p.histogram);
    merged.add(h);
    h.destroy();
    calls += p.calls;
    // Workers run side by side: their rates add.
    callsPerSecond += (p.calls * 1000) / p.elapsedMs;
    reservations += p.reservations;
    reservationsPerSecond += (p.reservations * 1000) / p.elapsedMs;
    elapsedMs = Math.max(elapsedMs, p.elapsedMs);
    dropped += p.dropped;
    cpuMs += p.cpuMs;
    for (const [k, v] of Object.entries(p.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.resultOutcomes)) resultOutcomes[k] = (resultOutcomes[k] ?? 0) + v;
  }
  const latencyMs: LatencyMs = merged.totalCount === 0
    ? { mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }
    : {
      mean: us(merged.mean), p50: us(merged.getValueAtPercentile(50)), p90: us(merged.getValueAtPercentile(90)),
      p99: us(merged.getValueAtPercentile(99)), p999: us(merged.getValueAtPercentile(99.9)), max: us(merged.maxValue),
    };
  merged.destroy();
  return { calls, callsPerSecond, reservations, reservationsPerSecond, elapsedMs, latencyMs, outcomes, resultOutcomes, dropped, cpuMs };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

const fmtRate = (v: number) => Math.round(v).toLocaleString("en");
const fmtMs = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const fmtPct = (v: number | null) => (v === null ? "-" : `${Math.round(v)}%`);

/** A (scenario, load, strategy) over its repetitions: the median one's figures, every one's audit. */
export interface SummaryRow extends LineResult {
  repetitions: number;
  /** calls/s of every repetition, in run order. */
  callsPerSecondAll: number[];
  /** Lines of every repetition whose audit failed or that did not run. */
  failedLines: string[];
}

const keyOf = (r: LineResult) => `${r.scenario}\u0000${describeLoad(r.load)}\u0000${r.strategy}`;

export function summarize(results: LineResult[]): SummaryRow[] {
  const groups = new Map<string, LineResult[]>();
  for (const r of results) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
  return [...groups.values()].map((reps) => {
    const byRate = [...reps].sort((a, b) => a.callsPerSecond - b.callsPerSecond);
    const median = byRate[Math.floor((byRate.length - 1) / 2)]!;
    return {
      ...median,
      repetitions: reps.length,
      callsPerSecondAll: reps.map((r) => r.callsPerSecond),
      failedLines: reps.filter((r) => r.failure || (r.audit && !r.audit.ok)).map((r) => r.line),
    };
  });
}

export function auditLabel(r: LineResult | SummaryRow): string {
  if ("failedLines" in r && r.failedLines.length > 0) return `FAILED: ${r.failedLines.join(",")}`;
  if (r.failure) return "FAILED TO RUN";
  if (!r.audit) return "n/a";
  return r.audit.ok ? "ok" : "MISMATCH";
}

export function errorSummary(r: LineResult): string {
  const parts = Object.entries(r.outcomes).filter(([k]) => k !== "OK").map(([k, v]) => `${k} ${v}`);
  for (const [k, v] of Object.entries(r.resultOutcomes ?? {})) parts.push(`batch results ${k} ${v}`);
  if (r.dropped) parts.push(`client-dropped ${r.dropped}`);
  return parts.join(", ");
}

/** Failed results inside OK BatchReserve calls, for the errors cell. */
function resultErrors(r: LineResult): string {
  const n = Object.values(r.resultOutcomes ?? {}).reduce((a, b) => a + b, 0);
  return n ? ` (+${n} results)` : "";
}

export function table(results: SummaryRow[]): string {
  const header = ["scenario", "load", "strategy", "calls/s", "reservations/s", "p50 ms", "p99 ms", "p99.9 ms", "mean ms", "ok", "refused", "errors", "units granted", "cpu srv/db/cli/all", "audit"];
  const rows = results.map((r) => [
    r.scenario, describeLoad(r.load), r.strategy, fmtRate(r.callsPerSecond), fmtRate(r.reservationsPerSecond), fmtMs(r.latencyMs.p50), fmtMs(r.latencyMs.p99), fmtMs(r.latencyMs.p999),
    fmtMs(r.latencyMs.mean), String(r.ok), String(r.rejected), String(r.errors + r.dropped) + resultErrors(r), r.audit ? String(r.unitsGranted) : "-",
    `${fmtPct(r.cpuPercent.server)}/${fmtPct(r.cpuPercent.database)}/${fmtPct(r.cpuPercent.clients)}/${fmtPct(r.cpuPercent.machine)}`, auditLabel(r),
  ]);
  const numeric = new Set([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, numeric.has(i))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export interface Ratio {
  scenario: ScenarioName;
  load: string;
  strategy: string;
  baseline: string;
  /** Median over repetitions of the ratio within each repetition (the lines ran back to back). */
  ratio: number;
  /** The ratio of every repetition, in run order. */
  all: number[];
}

const sameLoad = (a: LoadSpec, b: LoadSpec) => describeLoad(a) === describeLoad(b);
const ran = (r: LineResult) => !r.failure && r.calls > 0;
export const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Calls/s that got an answer: OK or the scenario's expected refusal. Errors (a call refused
 * RESOURCE_EXHAUSTED by a full queue, say) are not throughput.
 */
const answeredPerSecond = (r: LineResult): number => (r.calls > 0 ? (r.callsPerSecond * (r.ok + r.rejected)) / r.calls : 0);

/** Each candidate strategy's answered calls/s over each baseline's, same scenario, load and repetition. */
export function ratios(results: LineResult[]): Ratio[] {
  const groups = new Map<string, Ratio>();
  const done = results.filter(ran);
  for (const r of done) {
    if (strategyNamed(r.strategy).baseline) continue;
    for (const b of done) {
      if (!strategyNamed(b.strategy).baseline || b.scenario !== r.scenario || !sameLoad(b.load, r.load) || b.repetition !== r.repetition) continue;
      // A baseline that answered nothing gives no ratio.
      if (answeredPerSecond(b) === 0) continue;
      const key = [r.scenario, describeLoad(r.load), r.strategy, b.strategy].join("\u0000");
      const g = groups.get(key) ?? { scenario: r.scenario, load: describeLoad(r.load), strategy: r.strategy, baseline: b.strategy, ratio: 0, all: [] };
      g.all.push(answeredPerSecond(r) / answeredPerSecond(b));
      groups.set(key, g);
    }
  }
  return [...groups.values()].map((g) => ({ ...g, ratio: median(g.all) }));
}

const fmtRatio = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function ratioTable(list: Ratio[]): string {
  return list.map((x) => `  ${x.scenario.padEnd(10)} ${x.load.padEnd(14)} ${x.strategy} / ${x.baseline}: ${fmtRatio(x.ratio)}x` +
    (x.all.length > 1 ? `  (repetitions: ${x.all.map(fmtRatio).join(", ")})` : "")).join("\n");
}

/** Issue 5: BatchReserve of 100 a call on one hot SKU. */
export const batchReservationsPerSecondGoal = 50_000;

export interface GoalVerdict { goal: string; strategy: string; status: "met" | "not met" | "not measured"; detail: string }

/** The issue-5 goals, for every candidate (non-baseline) strategy, from this run's lines only. */
export function goals(results: SummaryRow[], ratioList: Ratio[]): GoalVerdict[] {
  const ok = results.filter(ran);
  const candidates = [...new Set(ok.map((r) => r.strategy))].filter((s) => !strategyNamed(s).baseline);
  const verdicts: GoalVerdict[] = [];
  for (const strategy of candidates) {
    const mine = ok.filter((r) => r.strategy === strategy);
    const versus = (scenario: ScenarioName, baseline: string, factor: number, goal: string) => {
      const pairs = ratioList.filter((x) => x.strategy === strategy && x.baseline === baseline && x.scenario === scenario);
      verdicts.push(pairs.length === 0
        ? { goal, strategy, status: "not measured", detail: `no ${scenario} line with ${baseline} at the same load` }
        : { goal, strategy, status: pairs.every((p) => p.ratio >= factor) ? "met" : "not met", detail: pairs.map((p) => `${fmtRatio(p.ratio)}x at ${p.load}`).join(", ") });
    };
    const latency = (scenario: ScenarioName, concurrency: number, pick: (l: LatencyMs) => number, limitMs: number, goal: string, scenarios?: ScenarioName[]) => {
      const lines = mine.filter((r) => (scenarios ? scenarios.includes(r.scenario) : r.scenario === scenario) && r.load.mode === "closed" && r.load.concurrency === concurrency);
      verdicts.push(lines.length === 0
        ? { goal, strategy, status: "not measured", detail: `no line at ${concurrency} in flight` }
        : { goal, strategy, status: lines.every((l) => pick(l.latencyMs) < limitMs) ? "met" : "not met", detail: lines.map((l) => `${l.scenario} ${fmtMs(pick(l.latencyMs))} ms`).join(", ") });
    };
    versus("hot", "row-locking", 10, "hot: at least 10x the row-locking baseline's calls/s");
    versus("hot", "echo", 0.5, "hot: at least half the echo server's calls/s");
    latency("hot", 256, (l) => l.p99, 50, "hot: p99 under 50 ms at 256 in flight");
    versus("spread", "echo", 0.5, "spread: at least half the echo server's calls/s");
    latency("spread", 64, (l) => l.p99, 20, "spread: p99 under 20 ms at 64 in flight");
    latency("spread", 16, (l) => l.mean, 5, "mean reserve latency under 5 ms at 16 in flight", ["spread", "hot", "orders"]);
    // No load is named: met when a batch line of this run reaches the rate (the best line judges).
    const batch = mine.filter((r) => r.scenario === "batch");
    const batchGoal = `BatchReserve, ${batchReservationsPerCall} per call on one hot SKU: at least ${fmtRate(batchReservationsPerSecondGoal)} reservations/s`;
    verdicts.push(batch.length === 0
      ? { goal: batchGoal, strategy, status: "not measured", detail: "no batch line" }
      : {
        goal: batchGoal, strategy, status: batch.some((l) => l.reservationsPerSecond >= batchReservationsPerSecondGoal) ? "met" : "not met",
        detail: batch.map((l) => `${fmtRate(l.reservationsPerSecond)} reservations/s (${fmtRate(l.callsPerSecond)} calls/s) at ${describeLoad(l.load)}`).join(", "),
      });
  }
  return verdicts;
}
