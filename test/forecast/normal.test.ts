import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { erfc, normalCdf, normalQuantile } from "../../forecast/normal.js";

describe("normal quantile (AS 241)", () => {
  // Reference values: R's qnorm, 16 significant digits.
  const known: [number, number][] = [
    [0.5, 0],
    [0.8, 0.8416212335729143],
    [0.9, 1.2815515655446004],
    [0.95, 1.6448536269514722],
    [0.975, 1.959963984540054],
    [0.98, 2.0537489106318225],
    [0.99, 2.3263478740408408],
    [0.999, 3.090232306167813],
    [0.05, -1.6448536269514722],
    [1e-10, -6.361340902404056],
  ];
  for (const [p, z] of known) {
    it(`qnorm(${p}) = ${z}`, () => {
      expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-9 * Math.max(1, Math.abs(z)));
    });
  }

  it("is infinite at 0 and 1 and undefined outside", () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(normalQuantile(NaN)).toBeNaN();
  });

  it("inverts the erfc-based CDF to 1e-12 and is antisymmetric", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1 - 1e-12, noNaN: true }), (p) => {
        const z = normalQuantile(p);
        expect(Math.abs(normalCdf(z) - p)).toBeLessThan(1e-12 * Math.max(p, 1e-3));
        // 1 - p is only exact enough for the upper tail when p is not tiny.
        if (p >= 1e-6) expect(normalQuantile(1 - p)).toBeCloseTo(-z, 6);
      }),
      { seed: 5, numRuns: 500 },
    );
  });
});

describe("erfc", () => {
  const known: [number, number][] = [
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [3, 2.209049699858544e-5],
    [-1, 1.8427007929497148],
    [10, 2.088487583762545e-45],
  ];
  for (const [x, v] of known) {
    it(`erfc(${x}) = ${v}`, () => {
      expect(Math.abs(erfc(x) - v) / v).toBeLessThan(1e-13);
    });
  }
});
