// The safety buffer: how far demand over the protection interval (lead time + review period)
// ran above the method's own forecast in the past, at the target service level. Using the
// method's errors, not the raw variance of demand, keeps the predictable seasonal swing out of
// "uncertainty". Errors from origins in the same season as the coming interval are used when
// there are enough of them; else all errors; with too few errors (short histories) the normal
// formula z * sqrt(P * sigma_e^2 + d^2 * sigma_L^2), which is always computed for planners.
// Only the most recent errors count (a window of a few cycles, limits.ts): demand drifts, and an
// item that sold 5 once three years ago should not keep 5 in reserve.
import { mean, rootMeanSquare, standardDeviation } from "simple-statistics";
import { empiricalErrorsMin, seasonErrorsMin } from "./limits.js";
import type { PastError } from "./method.js";
import { normalQuantile } from "./normal.js";

/** What the buffer is computed from; none of it depends on the service level. */
export interface BufferEvidence {
  /** The method's past errors of sums over the protection interval, in origin order. */
  pastErrors: readonly PastError[];
  /** How many of the most recent past errors count: older ones describe a different item. */
  errorWindow: number;
  /** The method's one-step in-sample errors in time order (sigma_e, from the same window). */
  oneStepErrors: readonly number[];
  /** The history, for sigma_e when there are not even two one-step errors. */
  history: readonly number[];
  /** Point forecasts of each period of the coming protection interval. */
  forecastPath: readonly number[];
  /** Standard deviation of the lead time, in periods (0 for a fixed lead time). */
  leadTimeStdPeriods: number;
  /** Season of the coming interval, and of the interval starting at a past origin. */
  targetSeason: number;
  seasonOf: (origin: number) => number;
}

/** The buffer at a service level (target probability that demand stays within forecast + buffer). */
export type BufferPolicy = (serviceLevel: number) => BufferDecision;

export type BufferBasis = "season_errors" | "all_errors" | "normal_formula";

export interface NormalFormula {
  z: number;
  /** Root mean square one-step error, units per period. */
  sigmaE: number;
  /** Mean forecast demand per period over the interval. */
  meanDemand: number;
  sigmaLPeriods: number;
  protectionPeriods: number;
  /** z * sqrt(P * sigmaE^2 + meanDemand^2 * sigmaL^2), units. */
  value: number;
}

export interface BufferDecision {
  /** Units to hold back over the point forecast; never negative. */
  buffer: number;
  basis: BufferBasis;
  /** The service-level quantile of the errors used (may be negative), null for the normal formula. */
  errorQuantile: number | null;
  errorsUsed: number;
  normal: NormalFormula;
}

/**
 * Sorts the evidence once; each service level then costs a lookup. Which errors count does not
 * depend on the level, so a higher service level never gets a smaller buffer.
 */
export function bufferPolicy(evidence: BufferEvidence): BufferPolicy {
  const recent = evidence.pastErrors.slice(-evidence.errorWindow);
  const all = sortedErrors(recent);
  const inSeason = sortedErrors(recent.filter((e) => evidence.seasonOf(e.origin) === evidence.targetSeason));
  const periods = evidence.forecastPath.length;
  const meanDemand = periods === 0 ? 0 : mean(evidence.forecastPath);
  const oneStep = evidence.oneStepErrors.slice(-evidence.errorWindow);
  const sigmaE = oneStep.length >= 2 ? rootMeanSquare(oneStep) : evidence.history.length >= 2 ? standardDeviation(evidence.history) : 0;
  const sigmaL = evidence.leadTimeStdPeriods;
  const spread = Math.sqrt(periods * sigmaE * sigmaE + meanDemand * meanDemand * sigmaL * sigmaL);
  return (q) => {
    const z = normalQuantile(q);
    const normal: NormalFormula = { z, sigmaE, meanDemand, sigmaLPeriods: sigmaL, protectionPeriods: periods, value: z * spread };
    let basis: BufferBasis = "normal_formula";
    let errors: Float64Array | null = null;
    if (inSeason.length >= seasonErrorsMin && inSeason.length < all.length) [basis, errors] = ["season_errors", inSeason];
    else if (all.length >= empiricalErrorsMin) [basis, errors] = ["all_errors", all];
    if (errors === null) return { buffer: Math.max(0, normal.value), basis, errorQuantile: null, errorsUsed: 0, normal };
    const quantile = errorQuantile(errors, q, periods);
    return { buffer: Math.max(0, quantile), basis, errorQuantile: quantile, errorsUsed: errors.length, normal };
  };
}

function sortedErrors(errors: readonly PastError[]): Float64Array {
  const out = new Float64Array(errors.length);
  for (let i = 0; i < errors.length; i++) out[i] = (errors[i] as PastError).error;
  return out.sort();
}

/**
 * The q-quantile of sorted errors of P-period intervals, chosen so that a new error falls at or
 * below it with probability q. For m independent errors the k-th smallest does so with
 * probability k / (m + 1), hence the position n * q * (m + 1) / m among the n errors (R's type 6
 * when P = 1; the more common type 7 covers only 0.96 for a 0.98 target with 45 errors).
 * Overlapping intervals share periods, so their errors are dependent: n of them count as
 * m = n / ((P + 1) / 2), the average overlap, a rule calibrated on seeded series (see tests).
 * Past the largest error the sample says nothing more, and the quantile grows by
 * (z(q) - z(m / (m + 1))) standard deviations of the errors, a normal tail.
 */
export function errorQuantile(sorted: ArrayLike<number>, q: number, periods: number): number {
  const n = sorted.length;
  const m = Math.max(1, Math.floor((2 * n) / (Math.max(1, periods) + 1)));
  const position = (n * q * (m + 1)) / m; // 1-based
  if (position <= 1) return sorted[0] as number;
  if (position <= n) {
    const lower = Math.floor(position);
    const upper = Math.min(lower + 1, n);
    return (sorted[lower - 1] as number) + (position - lower) * ((sorted[upper - 1] as number) - (sorted[lower - 1] as number));
  }
  const sd = n >= 2 ? standardDeviation(Array.from(sorted)) : 0;
  return (sorted[n - 1] as number) + (normalQuantile(q) - normalQuantile(m / (m + 1))) * sd;
}
