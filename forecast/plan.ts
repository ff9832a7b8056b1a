// One method's plan for the coming protection interval of a history: its point forecast of each
// period and the buffer on top, from errors the method made on that same history only.
import { bufferPolicy, type BufferPolicy } from "./buffer.js";
import { errorWindowPeriods } from "./limits.js";
import type { FittedMethod } from "./method.js";
import { quarterOf, type PeriodKind } from "./period.js";

/** The interval a buffer protects. */
export interface Protection {
  /** Replenishment lead time, whole periods (>= 0). */
  leadTimePeriods: number;
  /** Time between two orders, whole periods (>= 0; 0 for continuous review). */
  reviewPeriods: number;
  /** Standard deviation of the lead time, periods (0 for a fixed lead time). */
  leadTimeStdPeriods: number;
}

export interface Plan {
  /** Point forecast of each period of the interval. */
  forecastPath: number[];
  /** Their sum. */
  forecast: number;
  bufferAt: BufferPolicy;
  /** Calendar quarter (0-3) the interval starts in. */
  season: number;
}

/** Periods covered by one buffer: lead time plus review period, at least one. */
export function protectionPeriods(p: Protection): number {
  return Math.max(1, p.leadTimePeriods + p.reviewPeriods);
}

/** The plan after history y, whose first period has ordinal `start`. */
export function planProtection(method: FittedMethod, y: readonly number[], start: number, kind: PeriodKind, protection: Protection): Plan {
  const horizon = protectionPeriods(protection);
  const forecastPath = method.forecast(horizon);
  const season = quarterOf(start + y.length, kind);
  const bufferAt = bufferPolicy({
    pastErrors: method.pastErrors(horizon),
    errorWindow: errorWindowPeriods[kind],
    oneStepErrors: method.oneStepErrors,
    history: y,
    forecastPath,
    leadTimeStdPeriods: protection.leadTimeStdPeriods,
    targetSeason: season,
    seasonOf: (origin) => quarterOf(start + origin, kind),
  });
  return { forecastPath, forecast: forecastPath.reduce((s, v) => s + v, 0), bufferAt, season };
}
