// Holt-Winters as a forecasting method of the worker: additive, or multiplicative when every
// value is positive and its SSE (same periods, same start) is lower.
import { fitHoltWinters, forecastFrom, hwMinLength, hwStates, type HwFit } from "./holt-winters.js";
import { nonNegative, pastErrorsFrom, type FittedMethod } from "./method.js";

/** Null when the history is shorter than two cycles (or the decomposition is undefined). */
export function fitHoltWintersMethod(y: readonly number[], period: number): FittedMethod | null {
  if (y.length < hwMinLength(period)) return null;
  const additive = usable(fitHoltWinters(y, period, "additive"));
  const multiplicative = y.every((v) => v > 0) ? usable(fitHoltWinters(y, period, "multiplicative")) : null;
  const fit = multiplicative !== null && (additive === null || multiplicative.sse < additive.sse) ? multiplicative : additive;
  return fit === null ? null : asMethod(y, fit);
}

/** A fit whose recursion blew up (a level through zero in the multiplicative model) is no fit. */
function usable(fit: HwFit | null): HwFit | null {
  if (fit === null || !Number.isFinite(fit.sse)) return null;
  const { level, trend, season } = fit.final;
  return Number.isFinite(level) && Number.isFinite(trend) && season.every(Number.isFinite) ? fit : null;
}

function asMethod(y: readonly number[], fit: HwFit): FittedMethod {
  const m = fit.period;
  // states[k] forecasts y[m + k] onwards.
  const states = hwStates(y, fit);
  const sumFrom = (k: number, horizon: number) => forecastFrom(states[k]!, fit.seasonality, horizon).reduce((a, v) => a + nonNegative(v), 0);
  return {
    method: "holt_winters",
    parameters: { seasonality: fit.seasonality, alpha: fit.params.alpha, beta: fit.params.beta, gamma: fit.params.gamma, period: m },
    forecast: (horizon) => forecastFrom(fit.final, fit.seasonality, horizon).map(nonNegative),
    pastErrors: (horizon) => pastErrorsFrom(y, horizon, m, (t) => sumFrom(t - m, horizon)),
    oneStepErrors: y.slice(m).map((v, k) => v - nonNegative(fit.fitted[k] as number)),
  };
}
