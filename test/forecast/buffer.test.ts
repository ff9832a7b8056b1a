import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bufferPolicy, errorQuantile, type BufferEvidence } from "../../forecast/buffer.js";
import { empiricalErrorsMin } from "../../forecast/limits.js";
import { normalQuantile } from "../../forecast/normal.js";
import { normalDraws, seededRandom } from "./support/random.js";

function evidence(errors: readonly number[], overrides: Partial<BufferEvidence> = {}): BufferEvidence {
  return {
    pastErrors: errors.map((error, origin) => ({ origin, error })),
    errorWindow: 100_000,
    oneStepErrors: errors,
    history: [],
    forecastPath: [10],
    leadTimeStdPeriods: 0,
    targetSeason: 0,
    seasonOf: () => 0,
    ...overrides,
  };
}

describe("errorQuantile", () => {
  const oneToNineteen = Array.from({ length: 19 }, (_, i) => i + 1);
  const cases: [string, number[], number, number, number][] = [
    ["the middle of three", [10, 20, 30], 0.5, 1, 20],
    ["between order statistics at (n + 1) q", [10, 20, 30], 0.6, 1, 24],
    ["the smallest below 1 / (n + 1)", [10, 20, 30], 0.1, 1, 10],
    ["an order statistic exactly", oneToNineteen, 0.9, 1, 18],
    ["the largest at n / (n + 1)", oneToNineteen, 0.95, 1, 19],
    // Three-period intervals: 19 errors count as 9 independent ones, position 19 * 0.8 * 10 / 9.
    ["further up for dependent interval errors", oneToNineteen, 0.8, 3, 16 + 8 / 9],
  ];
  for (const [name, sample, q, periods, expected] of cases) it(`is ${name}`, () => expect(errorQuantile(sample, q, periods)).toBeCloseTo(expected, 12));

  it("extends past the largest error by a normal tail", () => {
    const sd = Math.sqrt(oneToNineteen.reduce((s, v) => s + (v - 10) ** 2, 0) / 19);
    expect(errorQuantile(oneToNineteen, 0.99, 1)).toBeCloseTo(19 + (normalQuantile(0.99) - normalQuantile(0.95)) * sd, 10);
  });

  it("covers a new draw with probability q on average (exchangeable errors)", () => {
    const uniform = seededRandom(17);
    const n = 39;
    let covered = 0;
    const trials = 4000;
    for (let i = 0; i < trials; i++) {
      const sample = Array.from({ length: n }, uniform).sort((a, b) => a - b);
      if (uniform() <= errorQuantile(sample, 0.9, 1)) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThan(0.92);
  });
});

describe("bufferPolicy", () => {
  it("takes the service-level quantile of seeded normal errors (known quantiles)", () => {
    const noise = normalDraws(seededRandom(21));
    const sigma = 7;
    const errors = Array.from({ length: 20_000 }, () => sigma * noise());
    const policy = bufferPolicy(evidence(errors));
    for (const q of [0.9, 0.95, 0.98]) {
      const d = policy(q);
      expect(d.basis).toBe("all_errors");
      expect(d.buffer / (sigma * normalQuantile(q))).toBeGreaterThan(0.97);
      expect(d.buffer / (sigma * normalQuantile(q))).toBeLessThan(1.03);
    }
  });

  it("falls back to z * sqrt(P sigma_e^2 + d^2 sigma_L^2) with too few errors", () => {
    const errors = [3, -4, 3, -4].slice(0, 4);
    expect(errors.length).toBeLessThan(empiricalErrorsMin);
    const d = bufferPolicy(evidence(errors, { forecastPath: [10, 20], leadTimeStdPeriods: 0.5 }))(0.95);
    const sigmaE = Math.sqrt((9 + 16 + 9 + 16) / 4);
    expect(d.basis).toBe("normal_formula");
    expect(d.errorQuantile).toBeNull();
    expect(d.buffer).toBeCloseTo(normalQuantile(0.95) * Math.sqrt(2 * sigmaE ** 2 + 15 ** 2 * 0.25), 10);
    expect(d.normal).toMatchObject({ sigmaE, meanDemand: 15, sigmaLPeriods: 0.5, protectionPeriods: 2 });
  });

  it("uses the coming season's errors alone once there are enough of them", () => {
    // Odd origins (season 1) err by about 100, even ones by a few units; the interval ahead is in season 1.
    const errors = (count: number) => Array.from({ length: count }, (_, i) => (i % 2 === 1 ? 100 + (i % 7) : i % 5));
    const seasonal = (count: number) => bufferPolicy(evidence(errors(count), { targetSeason: 1, seasonOf: (origin) => origin % 2 }));
    expect(seasonal(400)(0.9)).toMatchObject({ basis: "season_errors", errorsUsed: 200 });
    expect(seasonal(400)(0.5).buffer).toBeGreaterThan(100);
    // 30 errors of the season are too few: every season counts.
    expect(seasonal(60)(0.9)).toMatchObject({ basis: "all_errors", errorsUsed: 60 });
    expect(seasonal(60)(0.5).buffer).toBeLessThan(100);
  });

  it("counts only the most recent errors of its window", () => {
    const errors = [...new Array(30).fill(50), ...new Array(30).fill(1)];
    expect(bufferPolicy(evidence(errors, { errorWindow: 30 }))(0.95).buffer).toBe(1);
    expect(bufferPolicy(evidence(errors))(0.95).buffer).toBe(50);
  });

  it("is never negative and never falls as the service level rises", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 0, maxLength: 160 }), fc.double({ min: 0.5, max: 0.995, noNaN: true }), fc.double({ min: 0.001, max: 0.004, noNaN: true }), (errors, q, step) => {
        const policy = bufferPolicy(evidence(errors, { history: [1, 2, 3], targetSeason: 1, seasonOf: (origin) => origin % 2 }));
        const low = policy(q);
        expect(low.buffer).toBeGreaterThanOrEqual(0);
        expect(policy(Math.min(0.999, q + step)).buffer).toBeGreaterThanOrEqual(low.buffer - 1e-9);
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});
