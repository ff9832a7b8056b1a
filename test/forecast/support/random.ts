// Seeded randomness for the forecast tests: the core takes none, so tests generate their data.
import { seededRandom } from "../../support/seeded-random.js";

export { seededRandom };

/** Standard normal draws by Box-Muller from a uniform source. */
export function normalDraws(uniform: () => number): () => number {
  return () => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** A seasonal monthly-like series: level + trend * t + amplitude * sin(2 pi t / period) + sigma * noise. */
export function seasonalSeries(options: { seed: number; length: number; period: number; level: number; trend: number; amplitude: number; sigma: number }): number[] {
  const noise = normalDraws(seededRandom(options.seed));
  return Array.from({ length: options.length }, (_, t) => options.level + options.trend * t + options.amplitude * Math.sin((2 * Math.PI * t) / options.period) + options.sigma * noise());
}

/** Bernoulli(p) demand occurrences with sizes 1 + Poisson-ish small integers. */
export function intermittentSeries(options: { seed: number; length: number; probability: number; sizeMax: number }): number[] {
  const uniform = seededRandom(options.seed);
  return Array.from({ length: options.length }, () => (uniform() < options.probability ? 1 + Math.floor(uniform() * options.sizeMax) : 0));
}
