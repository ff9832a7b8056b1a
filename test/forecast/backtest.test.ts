import { describe, expect, it } from "vitest";
import { backtest, backtestSeries, methodNames } from "../../forecast/backtest.js";
import { metricsAccumulator, seasonalNaiveScale } from "../../forecast/metrics.js";
import { parsePeriod, quarterOf } from "../../forecast/period.js";
import type { Series } from "../../forecast/series.js";
import { intermittentSeries, normalDraws, seededRandom, seasonalSeries } from "./support/random.js";

const monthly = (id: string, values: number[]): Series => ({ key: { id, sku: null, warehouseId: null }, kind: "month", start: parsePeriod("2000-01", "month") as number, values });
const protection = { leadTimePeriods: 1, reviewPeriods: 0, leadTimeStdPeriods: 0 };

describe("metrics", () => {
  it("computes service level, fill rate, buffer/demand, scaled pinball and RMSSE as documented", () => {
    const acc = metricsAccumulator(0.9);
    acc.add([{ demand: 10, forecast: 8, buffer: 1 }, { demand: 5, forecast: 6, buffer: 0 }], { absolute: 2, squared: 4 });
    const m = acc.result();
    expect(m.series).toBe(1);
    expect(m.achieved_service_level).toBe(0.5);
    expect(m.fill_rate).toBeCloseTo(1 - 1 / 15, 12);
    expect(m.buffer_to_demand).toBeCloseTo(1 / 15, 12);
    expect(m.scaled_pinball_loss).toBeCloseTo((0.9 * 1 + 0.1 * 1) / 2 / 2, 12);
    expect(m.rmsse).toBeCloseTo(Math.sqrt(((2 ** 2 + 1) / 2) / 4), 12);
  });

  it("leaves series without scale out of the scaled means only", () => {
    const acc = metricsAccumulator(0.9);
    acc.add([{ demand: 0, forecast: 0, buffer: 0 }], { absolute: 0, squared: 0 });
    expect(acc.result()).toMatchObject({ series: 1, achieved_service_level: 1, fill_rate: 1 });
    expect(acc.result().scaled_pinball_loss).toBeNaN();
  });

  it("scales by seasonal-naive errors of interval sums", () => {
    expect(seasonalNaiveScale([1, 2, 3, 4, 3, 2, 5, 4], 4, 1)).toEqual({ absolute: (2 + 0 + 2 + 0) / 4, squared: (4 + 0 + 4 + 0) / 4 });
    expect(seasonalNaiveScale([1, 2], 4, 1)).toEqual({ absolute: 1, squared: 1 }); // shorter than a cycle: lag 1
    expect(seasonalNaiveScale([1], 4, 1)).toBeNull();
  });
});

describe("backtestSeries", () => {
  const y = seasonalSeries({ seed: 5, length: 60, period: 12, level: 80, trend: 0.2, amplitude: 15, sigma: 4 });

  it("evaluates the last 12 monthly origins, every method and the worker's choice", () => {
    const r = backtestSeries(monthly("a", y), { ...protection, serviceLevels: [0.9, 0.95] });
    for (const name of [...methodNames, "overall"] as const) expect(r.outcomes[name]).toHaveLength(12);
    expect(r.chosen.every((c) => c === "holt_winters")).toBe(true);
    const last = r.outcomes.overall.at(-1)!;
    expect(last.demand).toBe(y.at(-1));
    expect(last.buffers[1]).toBeGreaterThanOrEqual(last.buffers[0] as number);
  });

  it("never looks ahead: what happens after an origin does not change its forecast or buffer", () => {
    const options = { ...protection, leadTimePeriods: 2, serviceLevels: [0.9] };
    const before = backtestSeries(monthly("a", y), options);
    const origin = y.length - 7; // the 6th of the 12 origins (47..58) with a two-period interval
    const changed = y.map((v, t) => (t >= origin ? v * 3 + 50 : v));
    const after = backtestSeries(monthly("a", changed), options);
    const firstOrigin = y.length - 2 - 12 + 1;
    for (const name of [...methodNames, "overall"] as const) {
      for (let k = 0; firstOrigin + k <= origin; k++) {
        const [b, a] = [before.outcomes[name][k]!, after.outcomes[name][k]!];
        expect([a.forecast, a.buffers]).toEqual([b.forecast, b.buffers]);
      }
    }
    expect(after.scale).toEqual(before.scale);
  });

  it("uses as many origins as the history allows", () => {
    const r = backtestSeries(monthly("short", [1, 2, 3, 4, 5, 6]), { ...protection, serviceLevels: [0.9] });
    expect(r.outcomes.overall).toHaveLength(4); // origins 2..5
    expect(r.outcomes.holt_winters).toHaveLength(0);
  });
});

describe("backtest", () => {
  it("hits the target on seeded series whose error quantiles are known", () => {
    const series = Array.from({ length: 40 }, (_, i) => monthly(`s${i}`, seasonalSeries({ seed: 100 + i, length: 72, period: 12, level: 200, trend: 0.5, amplitude: 40, sigma: 10 })));
    const reports = backtest(series, { ...protection, serviceLevels: [0.8, 0.95] });
    expect(reports.map((r) => r.serviceLevel)).toEqual([0.8, 0.95]);
    const [at80, at95] = reports as [(typeof reports)[0], (typeof reports)[0]];
    // 480 outcomes each: a binomial standard error of about 0.018 at 0.8 and 0.010 at 0.95.
    expect(Math.abs(at80.overall.achieved_service_level - 0.8)).toBeLessThan(0.06);
    expect(Math.abs(at95.overall.achieved_service_level - 0.95)).toBeLessThan(0.04);
    expect(at95.overall.scaled_pinball_loss).toBeLessThan(at95.methods.seasonal_naive.scaled_pinball_loss);
    expect(Object.keys(at95.methods)).toEqual(["holt_winters", "seasonal_naive", "croston_sba", "tsb"]);
    expect(at95.series).toBe(40);
  });

  it("stays calibrated over a three-period protection interval (overlapping interval errors)", () => {
    const series = Array.from({ length: 60 }, (_, i) => monthly(`p${i}`, seasonalSeries({ seed: 300 + i, length: 72, period: 12, level: 200, trend: 0.3, amplitude: 40, sigma: 10 })));
    const reports = backtest(series, { ...protection, leadTimePeriods: 3, serviceLevels: [0.9, 0.95] });
    expect(Math.abs((reports[0] as (typeof reports)[0]).overall.achieved_service_level - 0.9)).toBeLessThan(0.04);
    expect(Math.abs((reports[1] as (typeof reports)[0]).overall.achieved_service_level - 0.95)).toBeLessThan(0.03);
  });

  it("protects a season with larger errors by that season's own errors (weekly, six years)", () => {
    const end = parsePeriod("2023-W52", "week") as number;
    const length = 312;
    const start = end - length + 1;
    let q4 = 0;
    let q4Covered = 0;
    for (let i = 0; i < 20; i++) {
      const noise = normalDraws(seededRandom(500 + i));
      // Noise sd 5 most of the year and 20 in the fourth quarter.
      const values = Array.from({ length }, (_, t) => Math.max(0, 100 + 20 * Math.sin((2 * Math.PI * t) / 52) + (quarterOf(start + t, "week") === 3 ? 20 : 5) * noise()));
      const r = backtestSeries({ key: { id: `w${i}`, sku: null, warehouseId: null }, kind: "week", start, values }, { ...protection, serviceLevels: [0.95], methods: [] });
      const firstOrigin = length - 26;
      r.outcomes.overall.forEach((o, k) => {
        if (quarterOf(start + firstOrigin + k, "week") !== 3) return;
        q4++;
        if (o.demand <= o.forecast + (o.buffers[0] as number)) q4Covered++;
      });
    }
    // Pooled over the year, the fourth quarter would be covered about 0.82 of the time.
    expect(q4).toBe(20 * 13);
    expect(q4Covered / q4).toBeGreaterThan(0.9);
  });

  it("explains service levels above target on intermittent data: origins without demand are always covered", () => {
    const series = Array.from({ length: 20 }, (_, i) => monthly(`i${i}`, intermittentSeries({ seed: 200 + i, length: 48, probability: 0.05, sizeMax: 2 })));
    const [report] = backtest(series, { ...protection, serviceLevels: [0.9] });
    expect(report!.context.zeroDemandShare).toBeGreaterThan(0.8);
    expect(report!.overall.achieved_service_level).toBeGreaterThanOrEqual(report!.context.zeroDemandShare);
    expect(report!.context.coverageFloor).toBeGreaterThanOrEqual(0.9);
  });
});
