import { describe, expect, it } from "vitest";
import { fitCrostonSba, fitTsb } from "../../forecast/intermittent.js";
import { sbaAlphaGrid, tsbAlphaGrid, tsbBetaGrid } from "../../forecast/limits.js";
import { fitSeasonalNaive } from "../../forecast/seasonal-naive.js";
import { intermittentSeries } from "./support/random.js";

describe("seasonal naive", () => {
  it("repeats the last cycle", () => {
    const m = fitSeasonalNaive([1, 2, 3, 4, 5, 6, 7, 8], 4);
    expect(m.forecast(6)).toEqual([5, 6, 7, 8, 5, 6]);
    expect(m.parameters).toEqual({ period: 4, variant: "seasonal" });
  });

  it("has past errors of interval sums from the first full cycle on", () => {
    const m = fitSeasonalNaive([1, 2, 3, 4, 5, 6, 7, 9], 4);
    expect(m.pastErrors(1)).toEqual([4, 5, 6, 7].map((origin, k) => ({ origin, error: [4, 4, 4, 5][k] })));
    // Sums over two periods: y[4] + y[5] - (y[0] + y[1]) = 8, ...
    expect(m.pastErrors(2).map((e) => e.error)).toEqual([8, 8, 9]);
    expect(m.oneStepErrors).toEqual([4, 4, 4, 5]);
  });

  it("repeats the last value before a full cycle exists", () => {
    expect(fitSeasonalNaive([3, 5], 12).forecast(3)).toEqual([5, 5, 5]);
  });
});

describe("Croston-SBA", () => {
  it("smooths sizes and intervals at each demand and forecasts (1 - alpha/2) z / p", () => {
    const y = [0, 4, 0, 0, 2];
    const m = fitCrostonSba(y);
    const a = m.parameters.alpha as number;
    expect(sbaAlphaGrid).toContain(a);
    // First demand at t = 1: z = 4, p = 2. At t = 4, after 3 periods: z = 4 - 2a, p = 2 + a.
    const final = ((1 - a / 2) * (4 - 2 * a)) / (2 + a);
    expect(m.forecast(3)).toEqual([final, final, final].map((v) => expect.closeTo(v, 12)));
    // Before and at the first demand the forecast is 0, so that demand is a full miss.
    expect(m.pastErrors(1).map((e) => e.error)).toEqual([4, -(1 - a / 2) * 2, -(1 - a / 2) * 2, 2 - (1 - a / 2) * 2].map((v) => expect.closeTo(v, 12)));
  });

  it("underestimates steady demand by the alpha/2 bias correction", () => {
    const m = fitCrostonSba(new Array(30).fill(10));
    expect(m.forecast(1)[0]).toBeCloseTo(10 * (1 - (m.parameters.alpha as number) / 2), 10);
  });
});

describe("TSB", () => {
  it("decays towards zero once an item stops selling", () => {
    const selling = [3, 3, 3, 3, 3, 3, 3, 3];
    const before = fitTsb(selling);
    const after = fitTsb([...selling, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(tsbAlphaGrid).toContain(after.parameters.alpha);
    expect(tsbBetaGrid).toContain(after.parameters.beta);
    expect(after.forecast(1)[0]).toBeLessThan((before.forecast(1)[0] as number) / 2);
  });

  it("picks the grid point with the lowest one-step mean squared error after the first demand", () => {
    const y = intermittentSeries({ seed: 2, length: 60, probability: 0.3, sizeMax: 4 });
    // A plain re-statement of TSB as the auditor.
    const mseOf = (alpha: number, beta: number) => {
      const first = y.findIndex((v) => v > 0);
      let z = y[first] as number;
      let d = 1 / (first + 1);
      let sse = 0;
      for (let t = first + 1; t < y.length; t++) {
        sse += ((y[t] as number) - d * z) ** 2;
        d += beta * (((y[t] as number) > 0 ? 1 : 0) - d);
        if ((y[t] as number) > 0) z += alpha * ((y[t] as number) - z);
      }
      return sse;
    };
    const chosen = fitTsb(y);
    const best = Math.min(...tsbAlphaGrid.flatMap((a) => tsbBetaGrid.map((b) => mseOf(a, b))));
    expect(mseOf(chosen.parameters.alpha as number, chosen.parameters.beta as number)).toBe(best);
    expect(chosen.oneStepErrors).toHaveLength(59);
  });
});
