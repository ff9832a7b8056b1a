// Holt-Winters against R 4.2's stats::HoltWinters on AirPassengers (../shared/data): the one
// forecast test that reads shared data, because the reference numbers come from R itself.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fitHoltWinters, forecastFrom, type Seasonality } from "../../forecast/holt-winters.js";

const dataDir = new URL("../../../shared/data/", import.meta.url);
const goldenFile = new URL("hw_golden_airpassengers.json", dataDir);
const seriesFile = new URL("airpassengers-monthly.csv", dataDir);
const present = existsSync(goldenFile) && existsSync(seriesFile);
const relativeTolerance = 1e-6;

interface Golden {
  alpha: number;
  beta: number;
  gamma: number;
  SSE: number;
  l_start: number;
  b_start: number;
  s_start: number[];
  coef: Record<string, number>;
  fitted_xhat_first3: number[];
  forecast: number[];
}

/** The training window R was given: AirPassengers up to 1959-12 ("period","value" rows). */
function trainingSeries(): number[] {
  const rows = readFileSync(seriesFile, "utf8").trim().split(/\r?\n/).slice(1);
  return rows
    .map((row) => row.split(",").map((field) => field.replace(/"/g, "")))
    .filter(([period]) => (period as string) < "1960-01")
    .map(([, value]) => Number(value));
}

function expectClose(actual: number, expected: number, what: string): void {
  const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
  expect(Math.abs(actual - expected) / scale, `${what}: ${actual} vs R's ${expected}`).toBeLessThanOrEqual(relativeTolerance);
}

describe.skipIf(!present)("Holt-Winters reproduces R's HoltWinters on AirPassengers", () => {
  const golden = present ? (JSON.parse(readFileSync(goldenFile, "utf8")) as Record<Seasonality, Golden>) : null;
  const y = present ? trainingSeries() : [];

  it("trains on the 132 months 1949-01 to 1959-12", () => {
    expect(y).toHaveLength(132);
  });

  for (const seasonality of ["additive", "multiplicative"] as const) {
    it(`matches the ${seasonality} fit: parameters, SSE, start values, coefficients, fitted values, forecast`, () => {
      const g = (golden as Record<Seasonality, Golden>)[seasonality];
      const fit = fitHoltWinters(y, 12, seasonality);
      expect(fit).not.toBeNull();
      if (fit === null) return;
      expectClose(fit.params.alpha, g.alpha, "alpha");
      expectClose(fit.params.beta, g.beta, "beta");
      expectClose(fit.params.gamma, g.gamma, "gamma");
      expectClose(fit.sse, g.SSE, "SSE");
      expectClose(fit.start.level, g.l_start, "l.start");
      expectClose(fit.start.trend, g.b_start, "b.start");
      g.s_start.forEach((s, k) => expectClose(fit.start.season[k] as number, s, `s.start[${k + 1}]`));
      expectClose(fit.final.level, g.coef.a as number, "coef a");
      expectClose(fit.final.trend, g.coef.b as number, "coef b");
      fit.final.season.forEach((s, k) => expectClose(s, g.coef[`s${k + 1}`] as number, `coef s${k + 1}`));
      g.fitted_xhat_first3.forEach((v, k) => expectClose(fit.fitted[k] as number, v, `fitted xhat[${k + 1}]`));
      forecastFrom(fit.final, seasonality, 12).forEach((v, h) => expectClose(v, g.forecast[h] as number, `forecast h=${h + 1}`));
    });
  }
});

if (!present) {
  // Printed as well: the default reporter hides the title of a skipped test.
  console.log(`test/forecast/holt-winters-golden: skipped, ${fileURLToPath(dataDir)} (R's reference fit for AirPassengers) is not next to the repository`);
  describe("Holt-Winters golden test", () => {
    it.skip(`skipped: ${fileURLToPath(dataDir)} (R's reference fit for AirPassengers) is not next to the repository`, () => {});
  });
}
