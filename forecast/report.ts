// Backtest reports as the CLI prints them: the JSON contract of issue 4, and a table for people.
import type { BacktestReport } from "./backtest.js";
import type { Metrics } from "./metrics.js";

const metricKeys: readonly (keyof Metrics)[] = ["series", "achieved_service_level", "fill_rate", "buffer_to_demand", "scaled_pinball_loss", "rmsse"];

/** {"series": N, "overall": M, "methods": {...}}; a metric with nothing to average is null. */
export function reportJson(report: BacktestReport): string {
  const metrics = (m: Metrics) => Object.fromEntries(metricKeys.map((k) => [k, Number.isFinite(m[k]) ? m[k] : null]));
  return JSON.stringify({ series: report.series, overall: metrics(report.overall), methods: Object.fromEntries(Object.entries(report.methods).map(([name, m]) => [name, metrics(m)])) });
}

/** An aligned plain-text table, one row per method. */
export function reportTable(report: BacktestReport): string {
  const rows: [string, Metrics][] = [["overall (worker's choice)", report.overall], ...Object.entries(report.methods)];
  const header = ["method", "series", "service level", "fill rate", "buffer/demand", "scaled pinball", "RMSSE"];
  const cells = rows.map(([name, m]) => [name, String(m.series), fixed(m.achieved_service_level, 4), fixed(m.fill_rate, 4), fixed(m.buffer_to_demand, 3), fixed(m.scaled_pinball_loss, 4), fixed(m.rmsse, 4)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number))).join("  ");
  return [`${report.series} series, target service level ${report.serviceLevel}`, line(header), ...cells.map(line)].join("\n");
}

export function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "-";
}
