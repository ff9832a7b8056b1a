import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseArgs } from "../../forecast/cli-args.js";
import { formatPeriod, parsePeriod } from "../../forecast/period.js";
import { reportJson } from "../../forecast/report.js";
import { seasonalSeries } from "./support/random.js";

describe("parseArgs", () => {
  const defaults = { command: "backtest", input: "f.csv", serviceLevel: 0.95, leadTimePeriods: 1, reviewPeriods: 0, leadTimeStdPeriods: 0, origins: null, json: false };
  const cases: [string, string[], object][] = [
    ["the documented backtest call", ["backtest", "--input", "f.csv", "--service-level", "0.95", "--lead-time", "1", "--json"], { ok: true, value: { ...defaults, json: true } }],
    ["every backtest option", ["backtest", "--input", "f.csv", "--service-level", "0.9", "--lead-time", "2", "--review-period", "1", "--lead-time-sd", "0.5", "--origins", "6"], { ok: true, value: { ...defaults, serviceLevel: 0.9, leadTimePeriods: 2, reviewPeriods: 1, leadTimeStdPeriods: 0.5, origins: 6 } }],
    ["a missing input", ["backtest"], { ok: false, message: "backtest needs --input FILE" }],
    ["a service level of 1", ["backtest", "--input", "f", "--service-level", "1"], { ok: false }],
    ["a fractional lead time", ["backtest", "--input", "f", "--lead-time", "1.5"], { ok: false }],
    ["an option without a value", ["backtest", "--input"], { ok: false, message: "--input needs a value" }],
    ["an unknown option", ["backtest", "--input", "f", "--fast"], { ok: false, message: 'unknown option "--fast"' }],
    ["import, for the database layer", ["import", "sales.csv"], { ok: true, value: { command: "import", args: ["sales.csv"] } }],
    ["run --once, for the database layer", ["run", "--once"], { ok: true, value: { command: "run", args: ["--once"] } }],
    ["no command as help", [], { ok: true, value: { command: "help" } }],
    ["an unknown command", ["serve"], { ok: false, message: 'unknown command "serve"' }],
  ];
  for (const [name, argv, expected] of cases) it(`parses ${name}`, () => expect(parseArgs(argv)).toMatchObject(expected));
});

describe("reportJson", () => {
  it("has exactly the issue's shape, with null for metrics that have nothing to average", () => {
    const m = { series: 1, achieved_service_level: 1, fill_rate: 1, buffer_to_demand: 0, scaled_pinball_loss: NaN, rmsse: 0.5 };
    const json = JSON.parse(reportJson({ serviceLevel: 0.9, series: 1, overall: m, methods: { holt_winters: m, seasonal_naive: m, croston_sba: m, tsb: m }, context: { zeroDemandShare: 0, seriesAboveTarget: 0, coverageFloor: 0.9 } }));
    expect(Object.keys(json)).toEqual(["series", "overall", "methods"]);
    expect(Object.keys(json.methods)).toEqual(["holt_winters", "seasonal_naive", "croston_sba", "tsb"]);
    expect(json.overall).toEqual({ series: 1, achieved_service_level: 1, fill_rate: 1, buffer_to_demand: 0, scaled_pinball_loss: null, rmsse: 0.5 });
  });
});

describe("npm run forecast (the process)", () => {
  const repo = fileURLToPath(new URL("../../", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "forecast-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "forecast/main.ts", ...args], { cwd: repo, encoding: "utf8" });

  it("prints only the JSON report on stdout for backtest --json", () => {
    const start = parsePeriod("2015-01", "month") as number;
    const lines = ["series_id,period,units"];
    for (let s = 0; s < 3; s++) seasonalSeries({ seed: 40 + s, length: 40, period: 12, level: 50, trend: 0, amplitude: 10, sigma: 2 }).forEach((v, k) => lines.push(`s${s},${formatPeriod(start + k, "month")},${Math.round(v)}`));
    const file = join(dir, "sales.csv");
    writeFileSync(file, lines.join("\n"));
    const result = run("backtest", "--input", file, "--service-level", "0.95", "--lead-time", "1", "--json");
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.series).toBe(3);
    expect(report.overall.series).toBe(3);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("reports every bad row on stderr, exits 1 and prints nothing on stdout", () => {
    const file = join(dir, "bad.csv");
    writeFileSync(file, "series_id,period,units\na,2020-01,1\na,2020-13,1\nb,2020-01,-3\n");
    const result = run("backtest", "--input", file, "--json");
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${file}:3:`);
    expect(result.stderr).toContain(`${file}:4:`);
  });

  it("import and run need a database: without DATABASE_URL or --embedded, run says so and exits 2", () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const result = spawnSync(process.execPath, ["--import", "tsx", "forecast/main.ts", "run", "--once"], { cwd: repo, encoding: "utf8", env });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("Set DATABASE_URL, or pass --embedded");
    expect(result.stdout).toBe("");
  });
});
