// Seasonal Holt-Winters as R's stats::HoltWinters computes it: the same start values (a
// classical decomposition of the first two cycles), the same recursion starting after the first
// cycle, the same SSE, and the parameters chosen by a bounded quasi-Newton search from R's
// start (0.3, 0.1, 0.1) and the same L-BFGS-B path, so the same (often local, early-stopped)
// optimum. Written from scratch: no maintained npm package does this.
import { decomposeStart } from "./decompose.js";
import { boxedCentralDifference } from "./finite-difference.js";
import { lbfgsb } from "./lbfgsb.js";
import { rOptimFactr, rOptimGradientStep, rOptimIterationsMax, rOptimMemory } from "./limits.js";

export type Seasonality = "additive" | "multiplicative";

export interface HwParams {
  alpha: number;
  beta: number;
  gamma: number;
}

/** Level, trend and one seasonal index per position of the cycle. */
export interface HwState {
  level: number;
  trend: number;
  /** season[k] applies to the k-th period after the state's time (k = 0 is the next one). */
  season: number[];
}

export interface HwFit {
  seasonality: Seasonality;
  period: number;
  params: HwParams;
  /** Sum of squared one-step errors from period `period` on (R's SSE). */
  sse: number;
  start: HwState;
  /** The state after the last observation: R's coef(a, b, s1..sm). */
  final: HwState;
  /** One-step forecasts of y[period..n-1] (R's fitted xhat), index 0 is y[period]. */
  fitted: number[];
}

/** R's default optimizer start. */
export const hwOptimStart: HwParams = { alpha: 0.3, beta: 0.1, gamma: 0.1 };

/** Periods needed to fit: two full cycles, for the start values (R needs no more). */
export function hwMinLength(period: number): number {
  return 2 * period;
}

/**
 * Fits Holt-Winters to y with the given cycle length, with R's optimised parameters unless
 * given. Null when the history is shorter than two cycles or, multiplicative, not all positive.
 */
export function fitHoltWinters(y: readonly number[], period: number, seasonality: Seasonality, params?: HwParams): HwFit | null {
  if (period < 2 || y.length < hwMinLength(period)) return null;
  if (seasonality === "multiplicative" && y.some((v) => v <= 0)) return null;
  const start = decomposeStart(y.slice(0, 2 * period), period, seasonality);
  if (start === null) return null;
  const chosen = params ?? optimizeParams(y, period, seasonality, start);
  const run = runRecursion(y, period, seasonality, chosen, start, true);
  return { seasonality, period, params: chosen, sse: run.sse, start, final: run.final, fitted: run.fitted };
}

/** Point forecasts for the next `horizon` periods from a state. */
export function forecastFrom(state: HwState, seasonality: Seasonality, horizon: number): number[] {
  const m = state.season.length;
  const out: number[] = [];
  for (let h = 1; h <= horizon; h++) {
    const s = state.season[(h - 1) % m] as number;
    const base = state.level + h * state.trend;
    out.push(seasonality === "additive" ? base + s : base * s);
  }
  return out;
}

/** The SSE of one parameter set (R's objective). */
export function hwSse(y: readonly number[], period: number, seasonality: Seasonality, params: HwParams, start: HwState): number {
  return sseOf(y, period, seasonality === "additive", params.alpha, params.beta, params.gamma, start, new Float64Array(period));
}

// The recursion of runRecursion reduced to its SSE, without allocation: the optimiser calls it
// thousands of times per fit. `season` is scratch space of length m.
function sseOf(y: readonly number[], m: number, additive: boolean, alpha: number, beta: number, gamma: number, start: HwState, season: Float64Array): number {
  for (let k = 0; k < m; k++) season[k] = start.season[k] as number;
  let level = start.level;
  let trend = start.trend;
  let sse = 0;
  for (let t = m, slot = 0; t < y.length; t++, slot = slot + 1 === m ? 0 : slot + 1) {
    const x = y[t] as number;
    const s = season[slot] as number;
    const lt = level + trend;
    const e = x - (additive ? lt + s : lt * s);
    sse += e * e;
    const newLevel = alpha * (additive ? x - s : x / s) + (1 - alpha) * lt;
    trend = beta * (newLevel - level) + (1 - beta) * trend;
    level = newLevel;
    season[slot] = gamma * (additive ? x - level : x / level) + (1 - gamma) * s;
  }
  return sse;
}

/**
 * Every state of the recursion: states[k] is the state after observing y[period + k - 1]
 * (states[0] is the start state, at time period - 1). Forecasting from states[k] predicts
 * y[period + k] onwards; used for the method's own multi-step in-sample errors.
 */
export function hwStates(y: readonly number[], fit: HwFit): HwState[] {
  const states: HwState[] = [];
  runRecursion(y, fit.period, fit.seasonality, fit.params, fit.start, false, (s) => states.push(s));
  return states;
}

// optim(c(0.3, 0.1, 0.1), SSE, method = "L-BFGS-B", lower = 0, upper = 1) with R's defaults.
function optimizeParams(y: readonly number[], period: number, seasonality: Seasonality, start: HwState): HwParams {
  const lower = [0, 0, 0];
  const upper = [1, 1, 1];
  const scratch = new Float64Array(period);
  const additive = seasonality === "additive";
  const sse = (p: readonly number[]) => sseOf(y, period, additive, p[0] as number, p[1] as number, p[2] as number, start, scratch);
  const result = lbfgsb(
    (p) => ({ value: sse(p), gradient: boxedCentralDifference(sse, p, lower, upper, rOptimGradientStep) }),
    [hwOptimStart.alpha, hwOptimStart.beta, hwOptimStart.gamma],
    lower,
    upper,
    { memory: rOptimMemory, factr: rOptimFactr, pgtol: 0, iterationsMax: rOptimIterationsMax },
  );
  return { alpha: result.x[0] as number, beta: result.x[1] as number, gamma: result.x[2] as number };
}

// R's C_HoltWinters loop. The season array is a ring: slot (t mod m) holds the index last
// updated m periods before t, which is the one the forecast for t uses.
function runRecursion(
  y: readonly number[],
  m: number,
  seasonality: Seasonality,
  { alpha, beta, gamma }: HwParams,
  start: HwState,
  keepFitted: boolean,
  onState?: (s: HwState) => void,
): { sse: number; final: HwState; fitted: number[] } {
  const additive = seasonality === "additive";
  const season = start.season.slice();
  let level = start.level;
  let trend = start.trend;
  let sse = 0;
  const fitted: number[] = [];
  const snapshot = (t: number): HwState => ({ level, trend, season: ring(season, t) });
  if (onState) onState(snapshot(m));
  for (let t = m; t < y.length; t++) {
    const x = y[t] as number;
    const slot = t % m;
    const s = season[slot] as number;
    const xhat = additive ? level + trend + s : (level + trend) * s;
    const e = x - xhat;
    sse += e * e;
    if (keepFitted) fitted.push(xhat);
    const newLevel = alpha * (additive ? x - s : x / s) + (1 - alpha) * (level + trend);
    trend = beta * (newLevel - level) + (1 - beta) * trend;
    level = newLevel;
    season[slot] = gamma * (additive ? x - level : x / level) + (1 - gamma) * s;
    if (onState) onState(snapshot(t + 1));
  }
  return { sse, final: snapshot(y.length), fitted };
}

/** The seasonal indices in forecast order for the periods from t on. */
function ring(season: readonly number[], t: number): number[] {
  const m = season.length;
  const out: number[] = [];
  for (let k = 0; k < m; k++) out.push(season[(t + k) % m] as number);
  return out;
}
