// BufferService messages from proposal rows.
import { proposalStates } from "../core/buffer-commands.js";
import type { BufferProposal, BufferRationale } from "../gen/inventory/v1/buffer_service.js";
import type { ProposalRow, StoredRationale } from "../db/proposal-repository.js";

/** A number from stored JSON, where NaN and infinities were written as null. */
const num = (v: unknown, ifNull = Number.NaN): number => (typeof v === "number" ? v : ifNull);

export function rationaleView(r: StoredRationale): BufferRationale {
  return {
    method: r.method,
    parameters: Object.fromEntries(Object.entries(r.parameters ?? {}).map(([k, v]) => [k, String(v)])),
    demandClass: r.demandClass,
    adi: num(r.adi, Number.POSITIVE_INFINITY),
    cv2: num(r.cv2),
    periodKind: r.periodKind,
    historyPeriods: r.historyPeriods,
    season: r.season,
    seasonBasis: r.seasonBasis,
    protectionInterval: {
      leadTimePeriods: r.protectionInterval.leadTimePeriods, reviewPeriods: r.protectionInterval.reviewPeriods, periods: r.protectionInterval.periods,
      firstPeriod: r.protectionInterval.first, lastPeriod: r.protectionInterval.last,
    },
    serviceLevel: r.serviceLevel,
    errorQuantile: { value: r.errorQuantile.value ?? undefined, errorsUsed: r.errorQuantile.errorsUsed, basis: r.errorQuantile.basis },
    normalFormula: {
      z: num(r.normalFormula.z), sigmaE: num(r.normalFormula.sigmaE), meanDemand: num(r.normalFormula.meanDemand),
      sigmaLPeriods: num(r.normalFormula.sigmaLPeriods), protectionPeriods: r.normalFormula.protectionPeriods, value: num(r.normalFormula.value),
    },
    backtest: r.backtest ?? undefined,
    buffer: num(r.buffer),
    leadTimeMs: String(r.leadTimeMs),
    guardrail: { fraction: r.guardrail.fraction, limitUnits: num(r.guardrail.limitUnits), changeUnits: num(r.guardrail.changeUnits), within: r.guardrail.within },
  };
}

export function proposalView(p: ProposalRow): BufferProposal {
  return {
    proposalId: p.proposalId,
    runId: p.runId,
    sku: p.sku,
    warehouseId: p.warehouseId,
    state: proposalStates[p.state],
    proposedUnits: String(p.proposedUnits),
    previousUnits: String(p.previousUnits),
    appliedUnits: p.appliedUnits === null ? undefined : String(p.appliedUnits),
    abcClass: p.abcClass,
    serviceLevel: p.serviceLevel,
    rationale: rationaleView(p.rationale),
    decidedBy: p.decidedBy ?? "",
    decisionReason: p.decisionReason,
    decideTime: p.decideTime ?? undefined,
    createTime: p.createTime,
  };
}
