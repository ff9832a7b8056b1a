import { describe, expect, it } from "vitest";
import { selectMethod } from "../../forecast/select.js";
import { intermittentSeries, seasonalSeries } from "./support/random.js";

describe("selectMethod", () => {
  const seasonal = (seed: number, length: number) => seasonalSeries({ seed, length, period: 12, level: 100, trend: 0.3, amplitude: 25, sigma: 3 });
  const multiplicative = Array.from({ length: 72 }, (_, t) => (50 + 2 * t) * (1 + 0.4 * Math.sin((2 * Math.PI * t) / 12)) * (1 + 0.01 * Math.cos(t * 1.7)));
  const withZero = seasonal(2, 60).map((v, t) => (t === 40 ? 0 : v));
  const cases = [
    { name: "Holt-Winters for two cycles or more of smooth demand", y: seasonal(1, 48), method: "holt_winters" },
    { name: "multiplicative Holt-Winters when the seasonal swing grows with the level", y: multiplicative, method: "holt_winters", seasonality: "multiplicative" },
    { name: "additive Holt-Winters when a period sold nothing", y: withZero, method: "holt_winters", seasonality: "additive" },
    { name: "seasonal naive under two cycles", y: seasonal(3, 23), method: "seasonal_naive" },
    { name: "a Croston-type method for intermittent demand", y: intermittentSeries({ seed: 4, length: 60, probability: 0.2, sizeMax: 3 }), method: ["croston_sba", "tsb"] },
    { name: "seasonal naive (zero) without any demand", y: new Array(36).fill(0), method: "seasonal_naive" },
  ];
  for (const c of cases) {
    it(`chooses ${c.name}`, () => {
      const { method, classification } = selectMethod(c.y, 12);
      if (Array.isArray(c.method)) expect(c.method).toContain(method.method);
      else expect(method.method).toBe(c.method);
      if (c.seasonality) expect(method.parameters.seasonality).toBe(c.seasonality);
      expect(classification.demandClass).toBeTypeOf("string");
    });
  }
});
