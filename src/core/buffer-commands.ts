// Parses BufferService requests into validated commands (the style of commands.ts).
import { BufferProposalState, type ApproveBufferProposalRequest, type GetBufferProposalRequest, type ListBufferProposalsRequest, type OverrideBufferProposalRequest, type RejectBufferProposalRequest } from "../gen/inventory/v1/buffer_service.js";
import { pageSizeField } from "./commands.js";
import { fail, invalid, ok, type Result } from "./failure.js";
import * as f from "./fields.js";
import { decidedByLengthMax, decisionReasonLengthMax, proposalHistoryPeriodsDefault, proposalHistoryPeriodsMax } from "../limits.js";

export type ProposalStateName = "PROPOSED" | "APPLIED" | "REJECTED" | "OVERRIDDEN" | "SUPERSEDED";

export interface ListProposalsQuery { state: ProposalStateName | null; sku: string | null; warehouseId: string | null; pageSize: number; pageToken: string }
export interface GetProposalQuery { proposalId: string; historyPeriods: number }
export interface DecideCommand { requestId: string; proposalId: string; decidedBy: string; reason: string }
export interface OverrideCommand extends DecideCommand { units: number }

function finish<T>(c: f.ViolationCollector, build: () => T): Result<T> {
  return c.violations.length > 0 ? fail(invalid(c.violations)) : ok(build());
}

export const proposalStates: Record<ProposalStateName, BufferProposalState> = {
  PROPOSED: BufferProposalState.BUFFER_PROPOSAL_STATE_PROPOSED,
  APPLIED: BufferProposalState.BUFFER_PROPOSAL_STATE_APPLIED,
  REJECTED: BufferProposalState.BUFFER_PROPOSAL_STATE_REJECTED,
  OVERRIDDEN: BufferProposalState.BUFFER_PROPOSAL_STATE_OVERRIDDEN,
  SUPERSEDED: BufferProposalState.BUFFER_PROPOSAL_STATE_SUPERSEDED,
};
const stateFilters = new Map<number, ProposalStateName | null>([
  [BufferProposalState.BUFFER_PROPOSAL_STATE_UNSPECIFIED, null],
  ...Object.entries(proposalStates).map(([name, value]) => [value, name as ProposalStateName] as const),
]);

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function proposalId(raw: string): f.Parsed<string> {
  if (raw === "") return { violation: { field: "proposal_id", reason: "FIELD_REQUIRED", description: "is required" } };
  if (!uuidPattern.test(raw)) return { violation: { field: "proposal_id", reason: "FIELD_MALFORMED", description: "must be a proposal id from ListBufferProposals (a lowercase UUID)" } };
  return { value: raw };
}

export function parseListBufferProposals(r: ListBufferProposalsRequest): Result<ListProposalsQuery> {
  const c = new f.ViolationCollector();
  const state = stateFilters.get(r.state);
  if (state === undefined) c.add("state", "FIELD_MALFORMED", "must be a BufferProposalState value");
  const sku = r.sku === "" ? "" : c.take(f.sku("sku", r.sku));
  const warehouseId = c.take(f.optionalWarehouseId("warehouse_id", r.warehouseId));
  const pageSize = c.take(pageSizeField(r.pageSize));
  return finish(c, () => ({ state: state ?? null, sku: sku || null, warehouseId: warehouseId ?? null, pageSize: pageSize!, pageToken: r.pageToken }));
}

export function parseGetBufferProposal(r: GetBufferProposalRequest): Result<GetProposalQuery> {
  const c = new f.ViolationCollector();
  const id = c.take(proposalId(r.proposalId));
  if (r.historyPeriods < 0) c.add("history_periods", "FIELD_OUT_OF_RANGE", "must not be negative");
  const historyPeriods = r.historyPeriods === 0 ? proposalHistoryPeriodsDefault : Math.min(r.historyPeriods, proposalHistoryPeriodsMax);
  return finish(c, () => ({ proposalId: id!, historyPeriods }));
}

function parseDecision(c: f.ViolationCollector, r: ApproveBufferProposalRequest, reasonRequired: boolean): () => DecideCommand {
  const requestId = c.take(f.requestId("request_id", r.requestId));
  const id = c.take(proposalId(r.proposalId));
  const decidedBy = c.take(f.text("decided_by", r.decidedBy.trim() === "" ? "" : r.decidedBy, decidedByLengthMax, true));
  const reason = c.take(f.text("reason", r.reason.trim() === "" ? "" : r.reason, decisionReasonLengthMax, reasonRequired));
  return () => ({ requestId: requestId!, proposalId: id!, decidedBy: decidedBy!, reason: reason! });
}

export function parseApproveBufferProposal(r: ApproveBufferProposalRequest): Result<DecideCommand> {
  const c = new f.ViolationCollector();
  return finish(c, parseDecision(c, r, false));
}

export function parseRejectBufferProposal(r: RejectBufferProposalRequest): Result<DecideCommand> {
  const c = new f.ViolationCollector();
  return finish(c, parseDecision(c, r, false));
}

export function parseOverrideBufferProposal(r: OverrideBufferProposalRequest): Result<OverrideCommand> {
  const c = new f.ViolationCollector();
  const decision = parseDecision(c, r, true);
  const units = r.units === undefined ? (c.add("units", "FIELD_REQUIRED", "is required (0 or more units)"), undefined) : c.take(f.units("units", r.units, 0));
  return finish(c, () => ({ ...decision(), units: units! }));
}
