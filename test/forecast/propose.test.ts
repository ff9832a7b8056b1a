import { describe, expect, it } from "vitest";
import { aggregateDaily } from "../../forecast/aggregate.js";
import { parsePeriod, periodsCovering } from "../../forecast/period.js";
import { proposeBuffer } from "../../forecast/propose.js";
import { seriesFromPoints, type Series } from "../../forecast/series.js";
import { intermittentSeries, normalDraws, seededRandom, seasonalSeries } from "./support/random.js";

const key = { id: "SKU-1@w1", sku: "SKU-1", warehouseId: "w1" };
const protection = { leadTimePeriods: 1, reviewPeriods: 1, leadTimeStdPeriods: 0 };

describe("proposeBuffer", () => {
  const monthly: Series = { key, kind: "month", start: parsePeriod("2018-01", "month") as number, values: seasonalSeries({ seed: 8, length: 60, period: 12, level: 120, trend: 0.4, amplitude: 30, sigma: 6 }) };

  it("proposes whole units with the rationale a planner reviews", () => {
    const result = proposeBuffer({ series: monthly, serviceLevel: 0.95, protection });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { proposal } = result;
    expect(proposal.key).toEqual(key);
    expect(proposal.units).toBe(Math.max(0, Math.ceil(proposal.buffer - 1e-9)));
    expect(proposal.forecast.periods.map((p) => p.period)).toEqual(["2023-01", "2023-02"]);
    expect(proposal.forecast.total).toBeCloseTo(proposal.forecast.periods.reduce((s, p) => s + p.units, 0), 10);
    expect(proposal.rationale).toMatchObject({
      method: "holt_winters",
      demandClass: "smooth",
      periodKind: "month",
      historyPeriods: 60,
      season: "Q1",
      seasonBasis: "all_seasons",
      protectionInterval: { leadTimePeriods: 1, reviewPeriods: 1, periods: 2, first: "2023-01", last: "2023-02" },
      serviceLevel: 0.95,
      errorQuantile: { basis: "all_errors", errorsUsed: 36 },
      backtest: { origins: 12 },
    });
    expect(proposal.rationale.parameters).toHaveProperty("alpha");
    expect(proposal.rationale.errorQuantile.value).toBeCloseTo(proposal.buffer, 10);
    expect(proposal.rationale.normalFormula.z).toBeCloseTo(1.6448536269514722, 12);
    expect(proposal.rationale.backtest!.achievedServiceLevel).toBeGreaterThan(0.5);
  });

  it("turns daily sales_history rows into weekly buffers", () => {
    const noise = normalDraws(seededRandom(31));
    const firstDay = parsePeriod("2023-01-02", "day") as number; // a Monday
    const rows = Array.from({ length: 7 * 120 }, (_, d) => ({ period: firstDay + d, units: Math.max(0, Math.round(20 + 8 * Math.sin((2 * Math.PI * d) / 7) + 3 * noise())) }));
    const daily = seriesFromPoints(key, "day", rows, firstDay, firstDay + rows.length - 1);
    const weekly = aggregateDaily(daily, "week");
    const leadTimeMs = 10 * 86_400_000;
    const result = proposeBuffer({ series: weekly, serviceLevel: 0.98, protection: { leadTimePeriods: periodsCovering(leadTimeMs, "week"), reviewPeriods: 0, leadTimeStdPeriods: 0 } });
    expect(result.ok && result.proposal.rationale).toMatchObject({ periodKind: "week", protectionInterval: { periods: 2 }, historyPeriods: 120 });
  });

  it("proposes from the normal formula, 0 or Croston-type methods where history is short or sparse", () => {
    const short: Series = { key, kind: "month", start: 0, values: [5, 7, 6, 8, 5] };
    const shortResult = proposeBuffer({ series: short, serviceLevel: 0.9, protection, backtest: false });
    expect(shortResult.ok && shortResult.proposal.rationale).toMatchObject({ method: "seasonal_naive", errorQuantile: { basis: "normal_formula", value: null }, backtest: null });
    const none: Series = { key, kind: "month", start: 0, values: new Array(30).fill(0) };
    expect(proposeBuffer({ series: none, serviceLevel: 0.9, protection })).toMatchObject({ ok: true, proposal: { units: 0, rationale: { demandClass: "no_demand" } } });
    const sparse: Series = { key, kind: "month", start: 0, values: intermittentSeries({ seed: 3, length: 48, probability: 0.25, sizeMax: 3 }) };
    const sparseResult = proposeBuffer({ series: sparse, serviceLevel: 0.95, protection });
    expect(sparseResult.ok && ["croston_sba", "tsb"]).toContain(sparseResult.ok && sparseResult.proposal.rationale.method);
  });

  it("refuses requests it cannot answer, saying why", () => {
    const result = proposeBuffer({ series: { ...monthly, values: [] }, serviceLevel: 1, protection: { leadTimePeriods: 1.5, reviewPeriods: -1, leadTimeStdPeriods: -2 } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(5);
    expect(result.problems[0]).toMatch(/serviceLevel must be in \(0, 1\)/);
  });
});
