// Buffer proposals: written by the forecast worker, decided by planners (BufferService).
// Lock order: the stock level first (a decision applies the buffer there), then the proposal.
import { randomUUID } from "node:crypto";
import type { Em } from "./orm.js";

export type ProposalState = "PROPOSED" | "APPLIED" | "REJECTED" | "OVERRIDDEN" | "SUPERSEDED";
export type AbcClassName = "A" | "B" | "C";

/** Why the worker proposed a buffer: the forecast core's rationale and the worker's own figures. */
export interface StoredRationale {
  method: string;
  parameters: Record<string, number | string>;
  demandClass: string;
  /** Periods per demand; null when there was no demand (infinite). */
  adi: number | null;
  cv2: number;
  periodKind: "day" | "week" | "month";
  historyPeriods: number;
  season: string;
  seasonBasis: string;
  protectionInterval: { leadTimePeriods: number; reviewPeriods: number; periods: number; first: string; last: string };
  serviceLevel: number;
  errorQuantile: { value: number | null; errorsUsed: number; basis: string };
  normalFormula: { z: number; sigmaE: number; meanDemand: number; sigmaLPeriods: number; protectionPeriods: number; value: number };
  backtest: { achievedServiceLevel: number; origins: number } | null;
  abcClass: AbcClassName;
  /** The buffer before rounding up to whole units. */
  buffer: number;
  previousUnits: number;
  /** The lead time the protection interval was computed from (the stock level's, or the default). */
  leadTimeMs: number;
  guardrail: { fraction: number; limitUnits: number; changeUnits: number; within: boolean };
}

export interface StoredForecast { periods: { period: string; units: number }[]; total: number }
export interface StoredPeriod { period: string; units: number }

export interface NewProposal {
  runId: string;
  sku: string;
  warehouseId: string;
  state: "PROPOSED" | "APPLIED";
  proposedUnits: number;
  previousUnits: number;
  method: string;
  abcClass: AbcClassName;
  serviceLevel: number;
  rationale: StoredRationale;
  forecast: StoredForecast;
  history: StoredPeriod[];
  /** Set when the worker applied it itself. */
  decision: { decidedBy: string; reason: string; requestId: string } | null;
  time: Date;
}

export interface ProposalRow {
  proposalId: string;
  seq: string;
  runId: string;
  sku: string;
  warehouseId: string;
  state: ProposalState;
  proposedUnits: number;
  previousUnits: number;
  appliedUnits: number | null;
  method: string;
  abcClass: AbcClassName;
  serviceLevel: number;
  rationale: StoredRationale;
  forecast: StoredForecast;
  history: StoredPeriod[];
  decidedBy: string | null;
  decisionReason: string;
  decisionRequestId: string | null;
  decideTime: Date | null;
  createTime: Date;
}

const columns = `proposal_id, seq, run_id, sku, warehouse_id, state, proposed_units, previous_units, applied_units, method, abc_class,
  service_level, rationale, forecast, history, decided_by, decision_reason, decision_request_id, decide_time, create_time`;

interface RawProposal {
  proposal_id: string; seq: string | number; run_id: string; sku: string; warehouse_id: string; state: ProposalState;
  proposed_units: string | number; previous_units: string | number; applied_units: string | number | null; method: string;
  abc_class: AbcClassName; service_level: number | string; rationale: StoredRationale | string; forecast: StoredForecast | string;
  history: StoredPeriod[] | string; decided_by: string | null; decision_reason: string; decision_request_id: string | null;
  decide_time: Date | string | null; create_time: Date | string;
}

const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);

function toRow(r: RawProposal): ProposalRow {
  return {
    proposalId: r.proposal_id, seq: String(r.seq), runId: r.run_id, sku: r.sku, warehouseId: r.warehouse_id, state: r.state,
    proposedUnits: Number(r.proposed_units), previousUnits: Number(r.previous_units), appliedUnits: r.applied_units === null ? null : Number(r.applied_units),
    method: r.method, abcClass: r.abc_class, serviceLevel: Number(r.service_level),
    rationale: json(r.rationale), forecast: json(r.forecast), history: json(r.history),
    decidedBy: r.decided_by, decisionReason: r.decision_reason, decisionRequestId: r.decision_request_id,
    decideTime: r.decide_time === null ? null : new Date(r.decide_time), createTime: new Date(r.create_time),
  };
}

/**
 * Writes a run's proposal for a stock level, superseding the one that still waits from an earlier
 * run (at most one waits per stock level). The caller holds the stock level's row lock.
 */
export async function recordProposal(em: Em, p: NewProposal, workerName: string): Promise<ProposalRow> {
  await em.execute(
    `UPDATE buffer_proposal SET state = 'SUPERSEDED', decided_by = ?, decision_reason = ?, decision_request_id = ?, decide_time = ?
      WHERE sku = ? AND warehouse_id = ? AND state = 'PROPOSED' AND run_id <> ?`,
    [workerName, `superseded by run ${p.runId}`, `${p.runId}:supersede`, p.time, p.sku, p.warehouseId, p.runId],
  );
  const rows = await em.execute<RawProposal[]>(
    `INSERT INTO buffer_proposal (proposal_id, run_id, sku, warehouse_id, state, proposed_units, previous_units, applied_units, method, abc_class,
                                  service_level, rationale, forecast, history, decided_by, decision_reason, decision_request_id, decide_time, create_time)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?)
     RETURNING ${columns}`,
    [
      randomUUID(), p.runId, p.sku, p.warehouseId, p.state, p.proposedUnits, p.previousUnits, p.state === "APPLIED" ? p.proposedUnits : null,
      p.method, p.abcClass, p.serviceLevel, JSON.stringify(p.rationale), JSON.stringify(p.forecast), JSON.stringify(p.history),
      p.decision?.decidedBy ?? null, p.decision?.reason ?? "", p.decision?.requestId ?? null, p.decision ? p.time : null, p.time,
    ],
  );
  return toRow(rows[0]!);
}

export async function findProposal(em: Em, proposalId: string, lock = false): Promise<ProposalRow | null> {
  const rows = await em.execute<RawProposal[]>(`SELECT ${columns} FROM buffer_proposal WHERE proposal_id = ? ${lock ? "FOR UPDATE" : ""}`, [proposalId]);
  return rows[0] ? toRow(rows[0]) : null;
}

export interface Decision {
  state: "APPLIED" | "REJECTED" | "OVERRIDDEN";
  appliedUnits: number | null;
  decidedBy: string;
  reason: string;
  requestId: string;
  time: Date;
}

/** Records a planner's decision on a waiting proposal; null when it was no longer waiting. */
export async function decide(em: Em, proposalId: string, d: Decision): Promise<ProposalRow | null> {
  const rows = await em.execute<RawProposal[]>(
    `UPDATE buffer_proposal SET state = ?, applied_units = ?, decided_by = ?, decision_reason = ?, decision_request_id = ?, decide_time = ?
      WHERE proposal_id = ? AND state = 'PROPOSED' RETURNING ${columns}`,
    [d.state, d.appliedUnits, d.decidedBy, d.reason, d.requestId, d.time, proposalId],
  );
  return rows[0] ? toRow(rows[0]) : null;
}

export interface ProposalFilter { state: ProposalState | null; sku: string | null; warehouseId: string | null }

/** Newest first, before the given seq; fetches limit rows. */
export async function listProposals(em: Em, filter: ProposalFilter, beforeSeq: string | null, limit: number): Promise<ProposalRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const when = (condition: string, value: unknown) => {
    if (value === null) return;
    where.push(condition);
    params.push(value);
  };
  when("state = ?", filter.state);
  when("sku = ?", filter.sku);
  when("warehouse_id = ?", filter.warehouseId);
  when("seq < ?::bigint", beforeSeq);
  const rows = await em.execute<RawProposal[]>(
    `SELECT ${columns} FROM buffer_proposal ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`,
    [...params, limit],
  );
  return rows.map(toRow);
}
