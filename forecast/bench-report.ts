// The forecast benchmark as markdown, and the goals of issue 4 checked against it. Pure: the
// numbers and timings come in, text comes out; bench.ts does the reading, timing and writing.
import type { BacktestReport } from "./backtest.js";
import type { Metrics } from "./metrics.js";
import { fixed } from "./report.js";

export const benchStartMarker = "<!-- forecast-bench:start -->";
export const benchEndMarker = "<!-- forecast-bench:end -->";

/** Goals from issue 4. */
export const serviceLevelToleranceMax = 0.02;
export const wallTimeSecondsMax = 30;

export interface DatasetRun {
  name: string;
  file: string;
  /** One report per service level, from one backtest pass. */
  reports: readonly BacktestReport[];
  seconds: number;
}

export interface BenchRun {
  datasets: readonly DatasetRun[];
  /** Reading, parsing and backtesting every dataset at every level. */
  totalSeconds: number;
  command: string;
  environment: string;
  leadTimePeriods: number;
}

export interface GoalCheck {
  goal: string;
  met: boolean;
  detail: string;
}

export function checkGoals(run: BenchRun): GoalCheck[] {
  const checks: GoalCheck[] = [];
  for (const d of run.datasets) {
    for (const r of d.reports) {
      const asl = r.overall.achieved_service_level;
      checks.push({
        goal: `${d.name} @ ${r.serviceLevel}: achieved service level within ${serviceLevelToleranceMax} of target`,
        met: Math.abs(asl - r.serviceLevel) <= serviceLevelToleranceMax,
        detail: `${fixed(asl, 4)} (${signed(asl - r.serviceLevel)})`,
      });
    }
    for (const r of d.reports) {
      const ours = r.overall.scaled_pinball_loss;
      const reference = r.methods.seasonal_naive.scaled_pinball_loss;
      checks.push({ goal: `${d.name} @ ${r.serviceLevel}: scaled pinball loss below seasonal naive`, met: ours < reference, detail: `${fixed(ours, 4)} vs ${fixed(reference, 4)}` });
    }
  }
  const series = run.datasets.reduce((n, d) => n + (d.reports[0]?.series ?? 0), 0);
  checks.push({ goal: `whole run (${series} series) under ${wallTimeSecondsMax} s on one core`, met: run.totalSeconds < wallTimeSecondsMax, detail: `${run.totalSeconds.toFixed(1)} s` });
  return checks;
}

export function benchMarkdown(run: BenchRun): string {
  const out: string[] = [benchStartMarker, "", `Reproduce with \`${run.command}\` (${run.environment}).`, ""];
  out.push(`Rolling-origin backtest, lead time ${run.leadTimePeriods} period, no review period; "overall" is the worker's own method choice per series and origin, seasonal naive is the reference. Each data set is fitted once and scored at the three service levels.`, "");
  out.push("| data set | series | seconds | series/s |", "| --- | ---: | ---: | ---: |");
  for (const d of run.datasets) {
    const series = d.reports[0]?.series ?? 0;
    out.push(`| ${d.name} | ${series} | ${d.seconds.toFixed(1)} | ${(series / d.seconds).toFixed(0)} |`);
  }
  const allSeries = run.datasets.reduce((n, d) => n + (d.reports[0]?.series ?? 0), 0);
  out.push(`| all, including reading the files | ${allSeries} | ${run.totalSeconds.toFixed(1)} | ${(allSeries / run.totalSeconds).toFixed(0)} |`, "");
  for (const d of run.datasets) {
    out.push(`### ${d.name} (\`${d.file}\`)`, "");
    out.push("| target | method | series | achieved service level | fill rate | buffer / demand | scaled pinball loss | RMSSE |", "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of d.reports) {
      const rows: [string, Metrics][] = [["**overall**", r.overall], ...Object.entries(r.methods)];
      for (const [name, m] of rows) {
        out.push(`| ${r.serviceLevel} | ${name} | ${m.series} | ${fixed(m.achieved_service_level, 4)} | ${fixed(m.fill_rate, 4)} | ${fixed(m.buffer_to_demand, 3)} | ${fixed(m.scaled_pinball_loss, 4)} | ${fixed(m.rmsse, 4)} |`);
      }
    }
    out.push("");
    const context = d.reports.map((r) => `${r.serviceLevel}: ${r.context.seriesAboveTarget} series, floor ${fixed(r.context.coverageFloor, 4)}`).join("; ");
    out.push(`Origins without demand: ${fixed((d.reports[0]?.context.zeroDemandShare ?? 0) * 100, 1)}%. Series whose zero-demand origins alone exceed the target, and the service level an exact-on-every-item method would still reach (mean of max(target, zero-demand share)): ${context}.`, "");
  }
  out.push("### Goals (issue 4)", "", "| goal | met | result |", "| --- | --- | --- |");
  for (const c of checkGoals(run)) out.push(`| ${c.goal} | ${c.met ? "yes" : "**no**"} | ${c.detail} |`);
  out.push("", benchEndMarker);
  return out.join("\n");
}

/** The document with the benchmark between its markers, added under a heading when absent. */
export function spliceBench(document: string, section: string): string {
  const start = document.indexOf(benchStartMarker);
  const end = document.indexOf(benchEndMarker);
  if (start >= 0 && end > start) return document.slice(0, start) + section + document.slice(end + benchEndMarker.length);
  const head = document.trim() === "" ? "# Benchmarks\n" : document.replace(/\s*$/, "\n");
  return `${head}\n## Forecast buffers\n\n${section}\n`;
}

function signed(v: number): string {
  return `${v >= 0 ? "+" : ""}${v.toFixed(4)}`;
}
