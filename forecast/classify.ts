// Syntetos-Boylan demand classes from the average inter-demand interval (ADI) and the squared
// coefficient of variation of the non-zero demand sizes (CV²), with the usual cut-offs.
import { adiCutoff, cv2Cutoff } from "./limits.js";

export type DemandClass = "smooth" | "erratic" | "intermittent" | "lumpy" | "no_demand";

export interface Classification {
  demandClass: DemandClass;
  /**
   * Periods per demand (history length / periods with demand), so a run of zeros at the end,
   * an item going obsolete, counts; Infinity without demand.
   */
  adi: number;
  /** Population variance over squared mean of the non-zero sizes; 0 with fewer than two. */
  cv2: number;
  nonZeroPeriods: number;
}

export function classify(values: readonly number[]): Classification {
  const sizes = values.filter((v) => v > 0);
  if (sizes.length === 0) return { demandClass: "no_demand", adi: Infinity, cv2: 0, nonZeroPeriods: 0 };
  const adi = values.length / sizes.length;
  const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  const variance = sizes.reduce((a, b) => a + (b - mean) ** 2, 0) / sizes.length;
  const cv2 = variance / (mean * mean);
  const frequent = adi < adiCutoff;
  const steady = cv2 < cv2Cutoff;
  const demandClass: DemandClass = frequent ? (steady ? "smooth" : "erratic") : steady ? "intermittent" : "lumpy";
  return { demandClass, adi, cv2, nonZeroPeriods: sizes.length };
}

/** Intermittent and lumpy demand get Croston-type methods rather than Holt-Winters. */
export function isSporadic(c: DemandClass): boolean {
  return c === "intermittent" || c === "lumpy";
}
