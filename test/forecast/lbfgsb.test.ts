import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boxedCentralDifference } from "../../forecast/finite-difference.js";
import { lbfgsb, projectedGradientNorm } from "../../forecast/lbfgsb.js";

const options = { memory: 5, factr: 10, pgtol: 0, iterationsMax: 200 };

/** f(x) = sum w_i (x_i - c_i)^2 + coupling * x_0 * x_1, with its exact gradient. */
function quadratic(c: readonly number[], w: readonly number[], coupling = 0) {
  return (x: readonly number[]) => ({
    value: x.reduce((s, xi, i) => s + (w[i] as number) * (xi - (c[i] as number)) ** 2, 0) + coupling * (x[0] as number) * (x[1] as number),
    gradient: x.map((xi, i) => 2 * (w[i] as number) * (xi - (c[i] as number)) + (i === 0 ? coupling * (x[1] as number) : i === 1 ? coupling * (x[0] as number) : 0)),
  });
}

describe("L-BFGS-B", () => {
  const cases = [
    { name: "an interior minimum", c: [0.4, 0.6, 0.2], w: [1, 3, 10], x0: [0.3, 0.1, 0.1], expect: [0.4, 0.6, 0.2] },
    { name: "a minimum beyond the upper bound stops on it", c: [0.5, 1.7, 0.2], w: [1, 1, 1], x0: [0.3, 0.1, 0.1], expect: [0.5, 1, 0.2] },
    { name: "a minimum below the lower bound stops on it", c: [-3, 0.5, 2], w: [2, 1, 1], x0: [0.3, 0.1, 0.1], expect: [0, 0.5, 1] },
    { name: "a start outside the box is projected into it", c: [0.25, 0.75, 0.5], w: [1, 1, 1], x0: [5, -5, 0.5], expect: [0.25, 0.75, 0.5] },
  ];
  for (const c of cases) {
    it(`finds ${c.name}`, () => {
      const result = lbfgsb(quadratic(c.c, c.w), c.x0, [0, 0, 0], [1, 1, 1], options);
      result.x.forEach((v, i) => expect(v).toBeCloseTo(c.expect[i] as number, 6));
      expect(result.converged).toBe(true);
    });
  }

  it("solves a coupled quadratic from any start in the box (projected gradient vanishes)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }), fc.array(fc.double({ min: -1, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }), (x0, centre) => {
        const f = quadratic(centre, [2, 1, 3], 0.5);
        const result = lbfgsb(f, x0, [0, 0, 0], [1, 1, 1], options);
        expect(projectedGradientNorm(result.x, f(result.x).gradient, [0, 0, 0], [1, 1, 1])).toBeLessThan(1e-4);
      }),
      { seed: 11, numRuns: 100 },
    );
  });

  it("minimises Rosenbrock in a box with R's numerical gradient", () => {
    const rosenbrock = (x: readonly number[]) => 100 * ((x[1] as number) - (x[0] as number) ** 2) ** 2 + (1 - (x[0] as number)) ** 2;
    const lower = [-2, -2];
    const upper = [2, 2];
    const result = lbfgsb((x) => ({ value: rosenbrock(x), gradient: boxedCentralDifference(rosenbrock, x, lower, upper, 1e-6) }), [-1.2, 1], lower, upper, { ...options, factr: 1e7 });
    expect(result.x[0]).toBeCloseTo(1, 3);
    expect(result.x[1]).toBeCloseTo(1, 3);
  });

  it("gives the start back when the function is not finite there", () => {
    const result = lbfgsb(() => ({ value: NaN, gradient: [0, 0] }), [0.5, 0.5], [0, 0], [1, 1], options);
    expect(result).toMatchObject({ x: [0.5, 0.5], converged: false });
  });
});

describe("boxed central difference (optim's numerical gradient)", () => {
  it("is exact on a quadratic in the interior and shortens the step at a bound", () => {
    const f = (x: readonly number[]) => 3 * (x[0] as number) ** 2 + (x[1] as number);
    expect(boxedCentralDifference(f, [0.5, 0.5], [0, 0], [1, 1], 1e-3)).toEqual([expect.closeTo(3, 9), expect.closeTo(1, 9)]);
    // At x = 1 only the backward half step exists: (f(1) - f(1 - h)) / h.
    const h = 1e-3;
    expect(boxedCentralDifference(f, [1, 0], [0, 0], [1, 1], h)[0]).toBeCloseTo((3 - 3 * (1 - h) ** 2) / h, 12);
  });
});
