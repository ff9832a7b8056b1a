// Prints the Markdown tables of one or more `npm run bench -- --json FILE` results, for
// BENCHMARKS.md: `node --import tsx bench/markdown.ts bench/results/quick.json ...`.
import { readFileSync } from "node:fs";
import { describeLoad } from "./options.js";
import type { GoalVerdict, Ratio, SummaryRow } from "./report.js";
import { auditLabel } from "./report.js";

interface BenchJson {
  argv: string[];
  options: { repeat: number };
  machine: {
    cores: number; model: string; node: string; postgres: string; synchronousCommit: string;
    /** Older files: the load average when the file was written. */
    loadAverage?: number[]; loadAverageAtStart?: number[]; loadAverageAtEnd?: number[];
  };
  loadGenerator: string;
  summary: SummaryRow[];
  ratios: Ratio[];
  goals: GoalVerdict[];
  ok: boolean;
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number | null) => (v === null ? "-" : `${Math.round(v)}`);
const loads = (l: number[]) => l.map((x) => x.toFixed(1)).join(" ");
function loadText(m: BenchJson["machine"]): string {
  if (m.loadAverageAtStart && m.loadAverageAtEnd) return `load average ${loads(m.loadAverageAtStart)} at the start, ${loads(m.loadAverageAtEnd)} at the end`;
  return `load average ${loads(m.loadAverage ?? [])} at the end`;
}
const ratio = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

for (const file of process.argv.slice(2)) {
  const r = JSON.parse(readFileSync(file, "utf8")) as BenchJson;
  const out: string[] = [];
  out.push(`\`npm run bench -- ${r.argv.join(" ")}\` (${r.loadGenerator}; ${r.machine.cores} cores ${r.machine.model}, ${loadText(r.machine)}; Node ${r.machine.node}, PostgreSQL ${r.machine.postgres.split(" ")[0]}, synchronous_commit ${r.machine.synchronousCommit})`);
  out.push("");
  out.push(r.options.repeat > 1 ? `Each row is the median of ${r.options.repeat} repetitions by calls/s; every repetition was audited.` : "One repetition per row.");
  out.push("");
  out.push("| scenario | load | strategy | calls/s | reservations/s | p50 ms | p99 ms | p99.9 ms | mean ms | refused | errors | units granted | CPU % server / db / clients / machine | audit |");
  out.push("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
  for (const s of r.summary) {
    const all = s.repetitions > 1 ? ` (${s.callsPerSecondAll.map((x) => Math.round(x).toLocaleString("en")).join(" / ")})` : "";
    // Files written before the batch scenario have no reservation figures.
    const reservations = s.reservationsPerSecond === undefined ? "-" : Math.round(s.reservationsPerSecond).toLocaleString("en");
    const batchErrors = Object.values(s.resultOutcomes ?? {}).reduce((a, b) => a + b, 0);
    out.push(`| ${s.scenario} | ${describeLoad(s.load)} | ${s.strategy} | ${Math.round(s.callsPerSecond).toLocaleString("en")}${all} | ${reservations} | ${ms(s.latencyMs.p50)} | ${ms(s.latencyMs.p99)} | ${ms(s.latencyMs.p999)} | ${ms(s.latencyMs.mean)} | ${s.rejected} | ${s.errors + s.dropped}${batchErrors ? ` (+${batchErrors} batch results)` : ""} | ${s.audit ? s.unitsGranted : "-"} | ${pct(s.cpuPercent.server)} / ${pct(s.cpuPercent.database)} / ${pct(s.cpuPercent.clients)} / ${pct(s.cpuPercent.machine)} | ${auditLabel(s)} |`);
  }
  out.push("");
  if (r.ratios.length) {
    out.push("| scenario | load | ratio | calls/s ratio | per repetition |");
    out.push("| --- | --- | --- | ---: | --- |");
    for (const x of r.ratios) out.push(`| ${x.scenario} | ${x.load} | ${x.strategy} / ${x.baseline} | ${ratio(x.ratio)}x | ${(x.all ?? [x.ratio]).map(ratio).join(", ")} |`);
    out.push("");
  }
  if (r.goals.length) {
    out.push("| goal (issue 5) | strategy | this run | figures |");
    out.push("| --- | --- | --- | --- |");
    for (const g of r.goals) out.push(`| ${g.goal} | ${g.strategy} | ${g.status === "met" ? "met" : `**${g.status}**`} | ${g.detail} |`);
    out.push("");
  }
  out.push(`Audit of the whole run: ${r.ok ? "every check passed" : "**FAILED**"}.`);
  process.stdout.write(`${out.join("\n")}\n\n`);
}
