// The worker's own decisions, pure: the run id of a day, the ABC class of each SKU, the service
// level of a class, and whether a proposal is small enough to apply without a planner.

/** The run id of a run started at `time`: one run per UTC day. */
export function runIdFor(time: Date): string {
  return `forecast-${time.toISOString().slice(0, 10)}`;
}

/** A run id: 1-64 characters of [A-Za-z0-9._-] (it prefixes request ids, so no ':'). */
export function isRunId(text: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(text);
}

/**
 * The request id of the policy change a run applies to one stock level. Warehouse ids hold no
 * ':' and run ids none either, so the id names one (run, sku, warehouse) only. It never comes
 * through the API, so the API's 64-character limit on request ids does not apply to it.
 */
export function appliedRequestId(runId: string, sku: string, warehouseId: string): string {
  return `${runId}:${sku}:${warehouseId}`;
}

export type AbcClass = "A" | "B" | "C";

/** Shares of the total unit volume: A items make the top 80%, B the next 15%, C the rest. */
export const abcShares = { a: 0.8, b: 0.95 } as const;

/**
 * ABC class per SKU by cumulative unit volume: SKUs ranked by units (ties by SKU), each is A
 * while the volume of the SKUs ranked above it is under 80% of the total, B under 95%, else C.
 * So the SKU that crosses 80% is still A, and a lone SKU is A. Without any volume, all are C.
 */
export function classifyAbc(volumes: readonly { sku: string; units: number }[]): Map<string, AbcClass> {
  const ranked = [...volumes].sort((x, y) => y.units - x.units || (x.sku < y.sku ? -1 : x.sku > y.sku ? 1 : 0));
  const total = ranked.reduce((s, v) => s + Math.max(0, v.units), 0);
  const classes = new Map<string, AbcClass>();
  let above = 0;
  for (const v of ranked) {
    const shareAbove = total > 0 ? above / total : 1;
    classes.set(v.sku, v.units > 0 && shareAbove < abcShares.a ? "A" : v.units > 0 && shareAbove < abcShares.b ? "B" : "C");
    above += Math.max(0, v.units);
  }
  return classes;
}

export type ServiceLevels = Record<AbcClass, number>;

/** "A=0.98,B=0.95,C=0.95": every class once, each level in (0, 1). */
export function parseServiceLevels(text: string): { ok: true; value: ServiceLevels } | { ok: false; message: string } {
  const found: Partial<ServiceLevels> = {};
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const m = /^([ABC])\s*=\s*(\S+)$/.exec(part);
    if (!m) return { ok: false, message: `"${part}" is not CLASS=LEVEL with CLASS one of A, B, C` };
    const cls = m[1] as AbcClass;
    const level = Number(m[2]);
    if (!(level > 0 && level < 1)) return { ok: false, message: `the service level of class ${cls} must be in (0, 1), got ${m[2]}` };
    if (found[cls] !== undefined) return { ok: false, message: `class ${cls} is given twice` };
    found[cls] = level;
  }
  const missing = (["A", "B", "C"] as const).filter((c) => found[c] === undefined);
  if (missing.length > 0) return { ok: false, message: `missing the service level of class ${missing.join(", ")}` };
  return { ok: true, value: found as ServiceLevels };
}

export interface GuardrailCheck {
  /** The largest change applied without a planner: fraction * max(previous, 1), units. */
  limitUnits: number;
  /** |proposed - previous|, units. */
  changeUnits: number;
  within: boolean;
}

/** Whether moving the buffer from previous to proposed units stays within the guardrail. */
export function checkGuardrail(previous: number, proposed: number, fraction: number): GuardrailCheck {
  const limitUnits = fraction * Math.max(previous, 1);
  const changeUnits = Math.abs(proposed - previous);
  // A hair of tolerance, so 0.3 * 10 allows a change of 3 despite binary fractions.
  return { limitUnits, changeUnits, within: changeUnits <= limitUnits + 1e-9 };
}

/** What the worker does with a proposal: nothing to change, apply it itself, or leave it to a planner. */
export type ProposalAction = "UNCHANGED" | "APPLY" | "PROPOSE";

export function decideProposal(previous: number, proposed: number, fraction: number): ProposalAction {
  if (proposed === previous) return "UNCHANGED";
  return checkGuardrail(previous, proposed, fraction).within ? "APPLY" : "PROPOSE";
}
