// Seasonal naive: each period repeats the same period one cycle earlier. The reference every
// other method must beat; before the first full cycle it repeats the last value (naive).
import { nonNegative, pastErrorsFrom, type FittedMethod } from "./method.js";

/** The value seasonal naive predicts for y[t + j] (j >= 0) having seen y[0..t-1]. */
function predict(y: readonly number[], t: number, j: number, period: number): number {
  if (t <= 0) return 0;
  if (t < period) return y[t - 1] as number;
  // The latest period of the same phase that was observed by t.
  const back = period * Math.ceil((j + 1) / period);
  return y[t + j - back] as number;
}

export function fitSeasonalNaive(y: readonly number[], period: number): FittedMethod {
  const sumAt = (t: number, horizon: number) => {
    let sum = 0;
    for (let j = 0; j < horizon; j++) sum += nonNegative(predict(y, t, j, period));
    return sum;
  };
  const firstOrigin = y.length >= period + 1 ? period : 1;
  const oneStepErrors = pastErrorsFrom(y, 1, firstOrigin, (t) => sumAt(t, 1)).map((e) => e.error);
  return {
    method: "seasonal_naive",
    parameters: { period, variant: y.length >= period ? "seasonal" : "naive" },
    forecast: (horizon) => Array.from({ length: horizon }, (_, j) => nonNegative(predict(y, y.length, j, period))),
    pastErrors: (horizon) => pastErrorsFrom(y, horizon, firstOrigin, (t) => sumAt(t, horizon)),
    oneStepErrors,
  };
}
