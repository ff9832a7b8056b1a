// The worker's choice of method for one series:
//   no demand at all                    -> seasonal naive (a forecast of 0)
//   intermittent or lumpy               -> Croston-SBA or TSB, whichever has the lower in-sample
//                                          mean squared one-step error
//   two full cycles or more otherwise   -> Holt-Winters (multiplicative when every value is
//                                          positive and its SSE is lower, else additive)
//   shorter histories                   -> seasonal naive
import { classify, isSporadic, type Classification } from "./classify.js";
import { hwMinLength } from "./holt-winters.js";
import { fitHoltWintersMethod } from "./hw-method.js";
import { fitCrostonSba, fitTsb } from "./intermittent.js";
import type { FittedMethod, MethodName } from "./method.js";
import { fitSeasonalNaive } from "./seasonal-naive.js";

export interface Selection {
  method: FittedMethod;
  classification: Classification;
}

/** Each method fitted at most once, on demand; null where it does not apply. */
export type Candidates = (name: MethodName) => FittedMethod | null;

export function candidatesFor(y: readonly number[], period: number): Candidates {
  const fitted = new Map<MethodName, FittedMethod | null>();
  const fitters: Record<MethodName, () => FittedMethod | null> = {
    holt_winters: () => fitHoltWintersMethod(y, period),
    seasonal_naive: () => fitSeasonalNaive(y, period),
    croston_sba: () => (y.some((v) => v > 0) ? fitCrostonSba(y) : null),
    tsb: () => (y.some((v) => v > 0) ? fitTsb(y) : null),
  };
  return (name) => {
    if (!fitted.has(name)) fitted.set(name, fitters[name]());
    return fitted.get(name) ?? null;
  };
}

export function selectMethod(y: readonly number[], period: number, candidates: Candidates = candidatesFor(y, period)): Selection {
  const classification = classify(y);
  return { method: choose(y, period, classification, candidates), classification };
}

function choose(y: readonly number[], period: number, classification: Classification, candidates: Candidates): FittedMethod {
  const naive = candidates("seasonal_naive") as FittedMethod;
  if (classification.demandClass === "no_demand") return naive;
  if (isSporadic(classification.demandClass)) {
    const sba = candidates("croston_sba");
    const tsb = candidates("tsb");
    if (sba === null || tsb === null) return naive;
    return meanSquare(tsb.oneStepErrors) < meanSquare(sba.oneStepErrors) ? tsb : sba;
  }
  if (y.length >= hwMinLength(period)) return candidates("holt_winters") ?? naive;
  return naive;
}

function meanSquare(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((s, v) => s + v * v, 0) / values.length;
}
