// The worker's answer for one series: the buffer to propose and why, for a planner to review.
// This is what the database layer calls per (sku, warehouse) after loading its sales history:
//   const series = aggregateDaily(seriesFromPoints(key, "day", rows, firstDay, lastDay), "week");
//   const result = proposeBuffer({ series, serviceLevel: 0.95, protection: { leadTimePeriods:
//     periodsCovering(leadTimeMs, "week"), reviewPeriods: 0, leadTimeStdPeriods: 0 } });
import { backtestSeries } from "./backtest.js";
import type { BufferBasis, NormalFormula } from "./buffer.js";
import type { DemandClass } from "./classify.js";
import { protectionPeriodsMax, wholeUnitTolerance } from "./limits.js";
import { covered } from "./metrics.js";
import type { MethodName } from "./method.js";
import { cycleLength, formatPeriod, type PeriodKind } from "./period.js";
import { planProtection, protectionPeriods, type Protection } from "./plan.js";
import { selectMethod } from "./select.js";
import type { Series, SeriesKey } from "./series.js";

export interface BufferRequest {
  /** Sales of one (sku, warehouse) in consecutive days, weeks or months, oldest first. */
  series: Series;
  /** Target probability that demand over the protection interval stays within forecast + buffer, in (0, 1). */
  serviceLevel: number;
  /** Lead time and review period in whole periods of the series (periodsCovering converts durations). */
  protection: Protection;
  /** Backtest this series for the rationale (12 monthly / 26 weekly refits); default true. */
  backtest?: boolean;
}

export interface BufferRationale {
  method: MethodName;
  /** Smoothing constants and variants of the method. */
  parameters: Record<string, number | string>;
  demandClass: DemandClass;
  adi: number;
  cv2: number;
  periodKind: PeriodKind;
  historyPeriods: number;
  /** Calendar quarter the protection interval starts in ("Q1".."Q4"). */
  season: string;
  /** Whether the errors came from that season only or from every season. */
  seasonBasis: "season" | "all_seasons";
  protectionInterval: { leadTimePeriods: number; reviewPeriods: number; periods: number; first: string; last: string };
  serviceLevel: number;
  /** The service-level quantile of the method's past errors; value null when the normal formula was used. */
  errorQuantile: { value: number | null; errorsUsed: number; basis: BufferBasis };
  /** z * sqrt(P * sigma_e^2 + d^2 * sigma_L^2): the fallback, always shown for comparison. */
  normalFormula: NormalFormula;
  /** The worker's own rolling-origin backtest of this series at this service level. */
  backtest: { achievedServiceLevel: number; origins: number } | null;
}

export interface BufferProposal {
  key: SeriesKey;
  /** Units to hold back: the buffer rounded up to whole units (safety_buffer holds integers). */
  units: number;
  /** The buffer before rounding, units. */
  buffer: number;
  /** Point forecast of each period of the protection interval, and their sum. */
  forecast: { periods: { period: string; units: number }[]; total: number };
  rationale: BufferRationale;
}

export type ProposeResult = { ok: true; proposal: BufferProposal } | { ok: false; problems: string[] };

export function proposeBuffer(request: BufferRequest): ProposeResult {
  const problems = requestProblems(request);
  if (problems.length > 0) return { ok: false, problems };
  const { series, serviceLevel, protection } = request;
  const y = series.values;
  const period = cycleLength(series.kind);
  const { method, classification } = selectMethod(y, period);
  const plan = planProtection(method, y, series.start, series.kind, protection);
  const decision = plan.bufferAt(serviceLevel);
  const horizon = protectionPeriods(protection);
  const end = series.start + y.length;
  const label = (k: number) => formatPeriod(end + k, series.kind);
  let backtest: BufferRationale["backtest"] = null;
  if (request.backtest ?? true) {
    const outcomes = backtestSeries(series, { ...protection, serviceLevels: [serviceLevel], methods: [] }).outcomes.overall;
    const hits = outcomes.filter((o) => covered({ demand: o.demand, forecast: o.forecast, buffer: o.buffers[0] as number })).length;
    backtest = outcomes.length === 0 ? null : { achievedServiceLevel: hits / outcomes.length, origins: outcomes.length };
  }
  return {
    ok: true,
    proposal: {
      key: series.key,
      units: Math.max(0, Math.ceil(decision.buffer - wholeUnitTolerance)),
      buffer: decision.buffer,
      forecast: { periods: plan.forecastPath.map((units, k) => ({ period: label(k), units })), total: plan.forecast },
      rationale: {
        method: method.method,
        parameters: method.parameters,
        demandClass: classification.demandClass,
        adi: classification.adi,
        cv2: classification.cv2,
        periodKind: series.kind,
        historyPeriods: y.length,
        season: `Q${plan.season + 1}`,
        seasonBasis: decision.basis === "season_errors" ? "season" : "all_seasons",
        protectionInterval: { leadTimePeriods: protection.leadTimePeriods, reviewPeriods: protection.reviewPeriods, periods: horizon, first: label(0), last: label(horizon - 1) },
        serviceLevel,
        errorQuantile: { value: decision.errorQuantile, errorsUsed: decision.errorsUsed, basis: decision.basis },
        normalFormula: decision.normal,
        backtest,
      },
    },
  };
}

function requestProblems({ series, serviceLevel, protection }: BufferRequest): string[] {
  const problems: string[] = [];
  if (!(serviceLevel > 0 && serviceLevel < 1)) problems.push(`serviceLevel must be in (0, 1), got ${serviceLevel}`);
  if (!Number.isInteger(protection.leadTimePeriods) || protection.leadTimePeriods < 0) problems.push(`leadTimePeriods must be a whole number >= 0, got ${protection.leadTimePeriods}`);
  if (!Number.isInteger(protection.reviewPeriods) || protection.reviewPeriods < 0) problems.push(`reviewPeriods must be a whole number >= 0, got ${protection.reviewPeriods}`);
  if (protection.leadTimePeriods + protection.reviewPeriods > protectionPeriodsMax) problems.push(`lead time plus review period must be at most ${protectionPeriodsMax} periods`);
  if (!(protection.leadTimeStdPeriods >= 0)) problems.push(`leadTimeStdPeriods must be >= 0, got ${protection.leadTimeStdPeriods}`);
  if (series.values.length === 0) problems.push("the series has no periods");
  if (series.values.some((v) => !(v >= 0) || !Number.isFinite(v))) problems.push("every period's sales must be a finite number >= 0");
  return problems;
}
