// Backtest metrics over many series, each from (demand, forecast, buffer) outcomes at rolling
// origins. Definitions (D = demand over the protection interval, F = point forecast of it,
// B = buffer, Q = F + B, q = target service level):
//   achieved_service_level  share of all outcomes with D <= Q
//   fill_rate               1 - sum(max(D - Q, 0)) / sum(D), pooled over all outcomes
//   buffer_to_demand        sum(B) / sum(D), pooled
//   scaled_pinball_loss     per series, the mean pinball loss of Q at level q divided by the mean
//                           absolute error of seasonal naive on interval sums in the history
//                           before the first origin; then the mean over series
//   rmsse                   per series, sqrt(mean (D - F)^2 / mean squared error of that same
//                           seasonal naive); then the mean over series
// Series whose scale is 0 (no variation before the first origin) are left out of the two
// scaled means. Scaling by the same in-sample seasonal naive for every method makes 1.0 the
// level of a seasonal-naive-like forecast and lets methods be compared series by series.

import { wholeUnitTolerance } from "./limits.js";

export interface Outcome {
  demand: number;
  forecast: number;
  buffer: number;
}

export interface Scale {
  /** Mean absolute in-sample seasonal-naive error of interval sums. */
  absolute: number;
  /** Mean squared one. */
  squared: number;
}

export interface Metrics {
  series: number;
  achieved_service_level: number;
  fill_rate: number;
  buffer_to_demand: number;
  scaled_pinball_loss: number;
  rmsse: number;
}

/** D <= Q up to rounding in the last digits (integer demand against a float threshold). */
export function covered(o: Outcome): boolean {
  return o.demand <= o.forecast + o.buffer + wholeUnitTolerance * (1 + Math.abs(o.demand));
}

export function pinball(demand: number, quantile: number, q: number): number {
  return demand >= quantile ? q * (demand - quantile) : (1 - q) * (quantile - demand);
}

export interface MetricsAccumulator {
  add(outcomes: readonly Outcome[], scale: Scale | null): void;
  result(): Metrics;
}

export function metricsAccumulator(serviceLevel: number): MetricsAccumulator {
  let series = 0, count = 0, hits = 0, demand = 0, shortfall = 0, buffer = 0;
  let splSum = 0, splSeries = 0, rmsseSum = 0, rmsseSeries = 0;
  return {
    add(outcomes, scale) {
      if (outcomes.length === 0) return;
      series++;
      let pinballSum = 0, squaredSum = 0;
      for (const o of outcomes) {
        count++;
        if (covered(o)) hits++;
        demand += o.demand;
        shortfall += Math.max(0, o.demand - o.forecast - o.buffer);
        buffer += o.buffer;
        pinballSum += pinball(o.demand, o.forecast + o.buffer, serviceLevel);
        squaredSum += (o.demand - o.forecast) ** 2;
      }
      if (scale !== null && scale.absolute > 0) {
        splSum += pinballSum / outcomes.length / scale.absolute;
        splSeries++;
      }
      if (scale !== null && scale.squared > 0) {
        rmsseSum += Math.sqrt(squaredSum / outcomes.length / scale.squared);
        rmsseSeries++;
      }
    },
    result: () => ({
      series,
      achieved_service_level: count === 0 ? NaN : hits / count,
      fill_rate: demand === 0 ? 1 : 1 - shortfall / demand,
      buffer_to_demand: demand === 0 ? 0 : buffer / demand,
      scaled_pinball_loss: splSeries === 0 ? NaN : splSum / splSeries,
      rmsse: rmsseSeries === 0 ? NaN : rmsseSum / rmsseSeries,
    }),
  };
}

/**
 * Seasonal-naive errors of interval sums over y: S(t) - S(t - lag) with S(t) the sum of
 * y[t..t+horizon-1], lag one cycle (one period when the history is shorter than a cycle plus
 * an interval). Null when there is no such pair.
 */
export function seasonalNaiveScale(y: readonly number[], period: number, horizon: number): Scale | null {
  const lag = y.length >= period + horizon ? period : 1;
  const sums: number[] = [];
  for (let t = 0; t + horizon <= y.length; t++) {
    let s = 0;
    for (let j = 0; j < horizon; j++) s += y[t + j] as number;
    sums.push(s);
  }
  let abs = 0, sq = 0, n = 0;
  for (let t = lag; t < sums.length; t++) {
    const e = (sums[t] as number) - (sums[t - lag] as number);
    abs += Math.abs(e);
    sq += e * e;
    n++;
  }
  return n === 0 ? null : { absolute: abs / n, squared: sq / n };
}
