// What every forecasting method hands to the buffer and the backtest: point forecasts after the
// history, and its own past errors over any horizon, so the buffer is measured on the method's
// real mistakes rather than on the raw variance of demand.

export type MethodName = "holt_winters" | "seasonal_naive" | "croston_sba" | "tsb";

/** One past forecast of the sum of the next `horizon` periods made at origin t, and its error. */
export interface PastError {
  /** Index into the history of the first forecast period (the forecast used y[0..origin-1]). */
  origin: number;
  /** Actual sum minus forecast sum. */
  error: number;
}

export interface FittedMethod {
  method: MethodName;
  /** Smoothing constants and variants, for the planner's rationale. */
  parameters: Record<string, number | string>;
  /** Point forecasts of the next `horizon` periods after the history; never negative. */
  forecast(horizon: number): number[];
  /** The method's past errors of `horizon`-period sums, in origin order. */
  pastErrors(horizon: number): PastError[];
  /** One-step in-sample errors (sigma_e of the normal formula). */
  oneStepErrors: number[];
}

/** Demand is never negative, so neither is a forecast of it. */
export function nonNegative(v: number): number {
  return v > 0 ? v : 0;
}

/**
 * Past errors from a forecaster that, at origin t, predicts the sum of y[t..t+horizon-1]:
 * every origin from firstOrigin whose whole horizon lies inside the history.
 */
export function pastErrorsFrom(y: readonly number[], horizon: number, firstOrigin: number, forecastSum: (origin: number) => number): PastError[] {
  const out: PastError[] = [];
  for (let t = Math.max(0, firstOrigin); t + horizon <= y.length; t++) {
    let actual = 0;
    for (let j = 0; j < horizon; j++) actual += y[t + j] as number;
    out.push({ origin: t, error: actual - forecastSum(t) });
  }
  return out;
}
