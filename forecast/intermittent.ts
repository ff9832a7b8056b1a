// Forecasts for intermittent demand, where most periods sell nothing.
//
// Croston-SBA: exponential smoothing of the non-zero sizes z and of the intervals p between
// them, both updated only when demand occurs, forecast (1 - alpha/2) z / p (the Syntetos-Boylan
// correction of Croston's bias).
// TSB (Teunter-Syntetos-Babai): smoothing of the size z (on demand) and of the probability of
// demand d (every period), forecast d * z; unlike Croston it decays when an item stops selling.
//
// Both start from the first demand: z = its size, p = its position + 1 (periods from the start
// of the history), d = 1 / p; until then they forecast 0, and those periods (the first demand
// included, a real miss) count among their past errors, so a short active history still has a
// tail to take the buffer from. Their constants are chosen from a small grid (limits.ts) by the
// mean squared one-step in-sample error after the first demand (before it every constant
// forecasts the same 0).
import { sbaAlphaGrid, tsbAlphaGrid, tsbBetaGrid } from "./limits.js";
import { nonNegative, pastErrorsFrom, type FittedMethod } from "./method.js";

/** One-step forecasts levels[t] of y[t] (having seen y[0..t-1]; 0 up to the first demand), and the level after the end. */
interface Run {
  first: number;
  levels: Float64Array;
  final: number;
  mse: number;
}

export function fitCrostonSba(y: readonly number[]): FittedMethod {
  const best = bestOf(sbaAlphaGrid.map((alpha) => ({ params: { alpha }, run: runSba(y, alpha) })));
  return asMethod("croston_sba", y, best.params, best.run);
}

export function fitTsb(y: readonly number[]): FittedMethod {
  const candidates = tsbAlphaGrid.flatMap((alpha) => tsbBetaGrid.map((beta) => ({ params: { alpha, beta }, run: runTsb(y, alpha, beta) })));
  const best = bestOf(candidates);
  return asMethod("tsb", y, best.params, best.run);
}

function runSba(y: readonly number[], alpha: number): Run {
  const n = y.length;
  const levels = new Float64Array(n);
  const first = y.findIndex((v) => v > 0);
  if (first < 0) return { first: n, levels, final: 0, mse: 0 };
  let z = y[first] as number;
  let p = first + 1;
  let sinceDemand = 1;
  const bias = 1 - alpha / 2;
  let sse = 0;
  for (let t = first + 1; t < n; t++) {
    const level = (bias * z) / p;
    levels[t] = level;
    const v = y[t] as number;
    sse += (v - level) ** 2;
    if (v > 0) {
      z += alpha * (v - z);
      p += alpha * (sinceDemand - p);
      sinceDemand = 1;
    } else sinceDemand++;
  }
  const count = n - first - 1;
  return { first, levels, final: (bias * z) / p, mse: count > 0 ? sse / count : 0 };
}

function runTsb(y: readonly number[], alpha: number, beta: number): Run {
  const n = y.length;
  const levels = new Float64Array(n);
  const first = y.findIndex((v) => v > 0);
  if (first < 0) return { first: n, levels, final: 0, mse: 0 };
  let z = y[first] as number;
  let d = 1 / (first + 1);
  let sse = 0;
  for (let t = first + 1; t < n; t++) {
    const level = d * z;
    levels[t] = level;
    const v = y[t] as number;
    sse += (v - level) ** 2;
    d += beta * ((v > 0 ? 1 : 0) - d);
    if (v > 0) z += alpha * (v - z);
  }
  const count = n - first - 1;
  return { first, levels, final: d * z, mse: count > 0 ? sse / count : 0 };
}

/** The lowest in-sample MSE; ties keep the earlier (smoother) grid point. */
function bestOf<P>(candidates: { params: P; run: Run }[]): { params: P; run: Run } {
  let best = candidates[0] as { params: P; run: Run };
  for (const c of candidates) if (c.run.mse < best.run.mse) best = c;
  return best;
}

function asMethod(method: "croston_sba" | "tsb", y: readonly number[], params: Record<string, number>, run: Run): FittedMethod {
  // The level is flat over any horizon: h periods ahead sum to h times it.
  const firstOrigin = 1;
  return {
    method,
    parameters: { ...params },
    forecast: (horizon) => new Array<number>(horizon).fill(nonNegative(run.final)),
    pastErrors: (horizon) => pastErrorsFrom(y, horizon, firstOrigin, (t) => horizon * nonNegative(run.levels[t] as number)),
    oneStepErrors: pastErrorsFrom(y, 1, firstOrigin, (t) => nonNegative(run.levels[t] as number)).map((e) => e.error),
  };
}
