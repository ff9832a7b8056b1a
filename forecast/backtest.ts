// Rolling-origin evaluation without look-ahead: at each of the last origins of a series every
// method is refitted on the history before the origin only, plans forecast and buffer for the
// protection interval after it, and is scored against what was then sold. "overall" is the
// worker's own choice at each origin; seasonal naive is always scored as the reference.
import { backtestOrigins, backtestTrainingPeriodsMin } from "./limits.js";
import type { FittedMethod, MethodName } from "./method.js";
import { metricsAccumulator, seasonalNaiveScale, type Metrics, type MetricsAccumulator, type Outcome, type Scale } from "./metrics.js";
import { cycleLength } from "./period.js";
import { planProtection, protectionPeriods, type Protection } from "./plan.js";
import { candidatesFor, selectMethod } from "./select.js";
import type { Series } from "./series.js";

export const methodNames: readonly MethodName[] = ["holt_winters", "seasonal_naive", "croston_sba", "tsb"];

export interface BacktestOptions extends Protection {
  /** Target service levels, each in (0, 1); fits are shared between them. */
  serviceLevels: readonly number[];
  /** Origins per series; the default depends on the period kind (limits.ts). */
  origins?: number;
  /** Methods scored on their own besides the worker's choice; default all of them. */
  methods?: readonly MethodName[];
}

/** Demand and forecast over the interval after one origin, and the buffer at each service level. */
export interface OriginOutcome {
  demand: number;
  forecast: number;
  buffers: number[];
}

export interface SeriesBacktest {
  /** Outcomes per method at the origins where it applies, and for the worker's choice. */
  outcomes: Record<MethodName | "overall", OriginOutcome[]>;
  /** The overall method chosen at each origin. */
  chosen: MethodName[];
  scale: Scale | null;
}

export interface BacktestReport {
  serviceLevel: number;
  series: number;
  overall: Metrics;
  methods: Record<MethodName, Metrics>;
  /**
   * Why an achieved service level can sit above target whatever the method: an origin without
   * demand is covered by any buffer. coverageFloor is the mean over series of max(target, share
   * of its origins without demand), what a method hitting the target exactly on every item
   * would still score; seriesAboveTarget counts the series whose zero-demand share alone exceeds it.
   */
  context: { zeroDemandShare: number; seriesAboveTarget: number; coverageFloor: number };
}

/** Evaluates one series at its last `origins` origins (fewer when the history is short). */
export function backtestSeries(series: Series, options: BacktestOptions): SeriesBacktest {
  const y = series.values;
  const period = cycleLength(series.kind);
  const horizon = protectionPeriods(options);
  const origins = options.origins ?? backtestOrigins[series.kind];
  const firstOrigin = Math.max(backtestTrainingPeriodsMin, y.length - horizon - origins + 1);
  const outcomes: SeriesBacktest["outcomes"] = { overall: [], holt_winters: [], seasonal_naive: [], croston_sba: [], tsb: [] };
  const chosen: MethodName[] = [];
  for (let origin = firstOrigin; origin + horizon <= y.length; origin++) {
    const train = y.slice(0, origin);
    let demand = 0;
    for (let j = 0; j < horizon; j++) demand += y[origin + j] as number;
    const candidates = candidatesFor(train, period);
    const byMethod = new Map<MethodName, OriginOutcome>();
    const score = (method: FittedMethod): OriginOutcome => {
      const known = byMethod.get(method.method);
      if (known) return known;
      const plan = planProtection(method, train, series.start, series.kind, options);
      const outcome = { demand, forecast: plan.forecast, buffers: options.serviceLevels.map((q) => plan.bufferAt(q).buffer) };
      byMethod.set(method.method, outcome);
      return outcome;
    };
    for (const name of options.methods ?? methodNames) {
      const method = candidates(name);
      if (method !== null) outcomes[name].push(score(method));
    }
    const choice = selectMethod(train, period, candidates).method;
    outcomes.overall.push(score(choice));
    chosen.push(choice.method);
  }
  return { outcomes, chosen, scale: seasonalNaiveScale(y.slice(0, firstOrigin), period, horizon) };
}

/** Metrics over many series at each service level: each method where it applies, and the worker's choice. */
export function backtest(series: readonly Series[], options: BacktestOptions): BacktestReport[] {
  const levels = options.serviceLevels.map((q) => ({
    overall: metricsAccumulator(q),
    methods: Object.fromEntries(methodNames.map((name) => [name, metricsAccumulator(q)])) as Record<MethodName, MetricsAccumulator>,
  }));
  let evaluated = 0;
  let zeroOutcomes = 0;
  let outcomes = 0;
  const zeroShares: number[] = [];
  for (const s of series) {
    const result = backtestSeries(s, options);
    if (result.outcomes.overall.length === 0) continue;
    evaluated++;
    const zeros = result.outcomes.overall.filter((o) => o.demand === 0).length;
    zeroOutcomes += zeros;
    outcomes += result.outcomes.overall.length;
    zeroShares.push(zeros / result.outcomes.overall.length);
    levels.forEach((level, i) => {
      const at = (list: readonly OriginOutcome[]): Outcome[] => list.map((o) => ({ demand: o.demand, forecast: o.forecast, buffer: o.buffers[i] as number }));
      level.overall.add(at(result.outcomes.overall), result.scale);
      for (const name of methodNames) level.methods[name].add(at(result.outcomes[name]), result.scale);
    });
  }
  return levels.map((level, i) => {
    const q = options.serviceLevels[i] as number;
    return {
      serviceLevel: q,
      series: evaluated,
      overall: level.overall.result(),
      methods: Object.fromEntries(methodNames.map((name) => [name, level.methods[name].result()])) as Record<MethodName, Metrics>,
      context: {
        zeroDemandShare: outcomes === 0 ? 0 : zeroOutcomes / outcomes,
        seriesAboveTarget: zeroShares.filter((z) => z > q).length,
        coverageFloor: zeroShares.length === 0 ? q : zeroShares.reduce((a, z) => a + Math.max(q, z), 0) / zeroShares.length,
      },
    };
  });
}
