import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { centredMovingAverage } from "../../forecast/decompose.js";
import { fitHoltWinters, forecastFrom, hwMinLength, hwSse, hwStates } from "../../forecast/holt-winters.js";
import { seasonalSeries } from "./support/random.js";

describe("centred moving average (R's filter, sides = 2)", () => {
  const cases = [
    { name: "even cycle: half weights at both ends", x: [1, 2, 3, 4, 5, 6], m: 4, expect: [null, null, 3, 4, null, null] },
    { name: "odd cycle: equal weights", x: [3, 6, 9, 12, 15], m: 3, expect: [null, 6, 9, 12, null] },
    { name: "a constant stays constant", x: [7, 7, 7, 7, 7, 7, 7], m: 2, expect: [null, 7, 7, 7, 7, 7, null] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = centredMovingAverage(c.x, c.m);
      expect(got.map((v) => (v === null ? null : Math.round(v * 1e12) / 1e12))).toEqual(c.expect);
    });
  }
});

describe("Holt-Winters", () => {
  it("needs two full cycles", () => {
    expect(hwMinLength(12)).toBe(24);
    expect(fitHoltWinters(new Array(23).fill(5), 12, "additive")).toBeNull();
    expect(fitHoltWinters(new Array(24).fill(5), 12, "additive")).not.toBeNull();
  });

  it("refuses multiplicative seasonality on a series with a zero", () => {
    const y = seasonalSeries({ seed: 1, length: 48, period: 12, level: 50, trend: 0, amplitude: 10, sigma: 1 });
    y[30] = 0;
    expect(fitHoltWinters(y, 12, "multiplicative")).toBeNull();
    expect(fitHoltWinters(y, 12, "additive")).not.toBeNull();
  });

  it("continues a noiseless linear trend plus seasonal pattern exactly, whatever the parameters", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 8, max: 20 }),
        (level, trend, pattern, length) => {
          const m = pattern.length;
          const mean = pattern.reduce((a, b) => a + b, 0) / m;
          const season = pattern.map((p) => p - mean);
          const truth = (t: number) => level + trend * t + (season[t % m] as number);
          const y = Array.from({ length }, (_, t) => truth(t));
          const fit = fitHoltWinters(y, m, "additive");
          expect(fit).not.toBeNull();
          const forecast = forecastFrom(fit!.final, "additive", 6);
          forecast.forEach((v, h) => expect(v).toBeCloseTo(truth(length + h), 6));
        },
      ),
      { seed: 7, numRuns: 50 },
    );
  });

  it("reports as SSE the squared one-step errors of its fitted values, from the second cycle on", () => {
    const y = seasonalSeries({ seed: 3, length: 60, period: 12, level: 100, trend: 0.5, amplitude: 20, sigma: 4 });
    for (const seasonality of ["additive", "multiplicative"] as const) {
      const fit = fitHoltWinters(y, 12, seasonality)!;
      const sse = fit.fitted.reduce((s, f, k) => s + ((y[12 + k] as number) - f) ** 2, 0);
      expect(fit.sse).toBeCloseTo(sse, 8);
      expect(hwSse(y, 12, seasonality, fit.params, fit.start)).toBeCloseTo(fit.sse, 8);
    }
  });

  it("keeps its parameters in [0, 1] and does at least as well as R's start point", () => {
    for (let seed = 10; seed < 16; seed++) {
      const y = seasonalSeries({ seed, length: 72, period: 12, level: 200, trend: 1, amplitude: 40, sigma: 8 });
      const fit = fitHoltWinters(y, 12, "additive")!;
      for (const p of [fit.params.alpha, fit.params.beta, fit.params.gamma]) expect(p >= 0 && p <= 1).toBe(true);
      expect(fit.sse).toBeLessThanOrEqual(hwSse(y, 12, "additive", { alpha: 0.3, beta: 0.1, gamma: 0.1 }, fit.start));
    }
  });

  it("has one state per origin whose forecast is the fitted value", () => {
    const y = seasonalSeries({ seed: 4, length: 40, period: 12, level: 30, trend: 0, amplitude: 5, sigma: 1 });
    const fit = fitHoltWinters(y, 12, "additive")!;
    const states = hwStates(y, fit);
    expect(states).toHaveLength(y.length - 12 + 1);
    fit.fitted.forEach((f, k) => expect(forecastFrom(states[k]!, "additive", 1)[0]).toBeCloseTo(f, 10));
    expect(states.at(-1)).toEqual(fit.final);
  });
});
