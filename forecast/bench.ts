// `npm run bench:forecast`: the backtest on the real monthly data in ../shared/data (hospital,
// carparts) at service levels 0.90, 0.95 and 0.98, timed, written into BENCHMARKS.md between
// its markers (a rerun replaces the table) and printed.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { backtest } from "./backtest.js";
import { benchMarkdown, checkGoals, spliceBench, type DatasetRun } from "./bench-report.js";
import { readSalesFile } from "./series-file.js";

const dataDir = new URL("../../shared/data/", import.meta.url);
const benchmarksFile = new URL("../BENCHMARKS.md", import.meta.url);
const datasets = [
  { name: "hospital", file: "hospital-monthly.csv" },
  { name: "carparts", file: "carparts-monthly.csv" },
];
const serviceLevels = [0.9, 0.95, 0.98];
const leadTimePeriods = 1;

async function main(): Promise<number> {
  if (!existsSync(dataDir)) {
    process.stderr.write(`no data at ${fileURLToPath(dataDir)}: the benchmark reads ../shared/data next to the repository\n`);
    return 1;
  }
  const runs: DatasetRun[] = [];
  const started = performance.now();
  for (const d of datasets) {
    const parsed = await readSalesFile(fileURLToPath(new URL(d.file, dataDir)));
    if (!parsed.ok) {
      process.stderr.write(`${d.file}: ${parsed.errors.length} bad rows, first: line ${parsed.errors[0]?.line}: ${parsed.errors[0]?.message}\n`);
      return 1;
    }
    const t0 = performance.now();
    const reports = backtest(parsed.series, { serviceLevels, leadTimePeriods, reviewPeriods: 0, leadTimeStdPeriods: 0 });
    runs.push({ name: d.name, file: `../shared/data/${d.file}`, reports, seconds: (performance.now() - t0) / 1000 });
  }
  const run = {
    datasets: runs,
    totalSeconds: (performance.now() - started) / 1000,
    command: "npm run bench:forecast",
    environment: `Node ${process.version}, one thread`,
    leadTimePeriods,
  };
  const section = benchMarkdown(run);
  const existing = existsSync(benchmarksFile) ? await readFile(benchmarksFile, "utf8") : "";
  await writeFile(benchmarksFile, spliceBench(existing, section));
  process.stdout.write(`${section}\n`);
  const missed = checkGoals(run).filter((c) => !c.met);
  process.stdout.write(missed.length === 0 ? "all goals met\n" : `${missed.length} goal(s) not met\n`);
  return 0;
}

process.exitCode = await main();
