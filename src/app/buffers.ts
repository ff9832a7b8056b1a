// Planners' decisions on the forecast worker's buffer proposals: list, read, approve, reject,
// override. A decision that applies a buffer writes it through SetStockPolicy's path
// (writeStockPolicy: ledger POLICY entry, waiting orders filled when it drops) in the
// transaction that records the decision, under the decision's request_id.
import type { DecideCommand, GetProposalQuery, ListProposalsQuery, OverrideCommand } from "../core/buffer-commands.js";
import { orThrow, ServiceError } from "../core/failure.js";
import { decodePageToken, encodePageToken } from "../core/page-token.js";
import { translateDatabaseError } from "../db/errors.js";
import type { Em, Orm } from "../db/orm.js";
import { decide, findProposal, listProposals, type Decision, type ProposalRow } from "../db/proposal-repository.js";
import { lockStockLevels, readStockLevel } from "../db/stock-repository.js";
import {
  ApproveBufferProposalResponse, OverrideBufferProposalResponse, RejectBufferProposalResponse,
  type BufferProposal, type GetBufferProposalResponse, type ListBufferProposalsResponse,
} from "../gen/inventory/v1/buffer_service.js";
import type { StockPolicy } from "../gen/inventory/v1/stock.js";
import { policyReasonLengthMax } from "../limits.js";
import type { Clock } from "./clock.js";
import { proposalView } from "./buffer-views.js";
import { runIdempotent, type ResponseCodec } from "./idempotent.js";
import { writeStockPolicy } from "./inventory.js";
import { stockPolicyView } from "./views.js";

interface Outcome { state: Decision["state"]; units: number | null; verb: string }

export class BufferApp {
  constructor(private readonly orm: Orm, private readonly clock: Clock) {}

  async list(query: ListProposalsQuery): Promise<ListBufferProposalsResponse> {
    const filter = { state: query.state, sku: query.sku, warehouseId: query.warehouseId };
    const before = orThrow(decodePageToken(query.pageToken, filter));
    try {
      const rows = await listProposals(this.orm.em.fork(), filter, before, query.pageSize + 1);
      const page = rows.slice(0, query.pageSize);
      const last = page[page.length - 1];
      return {
        proposals: page.map(proposalView),
        nextPageToken: rows.length > query.pageSize && last ? encodePageToken(last.seq, filter) : "",
      };
    } catch (error) {
      translateDatabaseError(error);
    }
  }

  async get(query: GetProposalQuery): Promise<GetBufferProposalResponse> {
    try {
      const row = await findProposal(this.orm.em.fork(), query.proposalId);
      if (!row) throw notFound(query.proposalId);
      return {
        proposal: proposalView(row),
        history: row.history.slice(-query.historyPeriods).map((h) => ({ period: h.period, units: String(Math.round(h.units)) })),
        forecast: { periods: row.forecast.periods.map((f) => ({ period: f.period, units: f.units })), total: row.forecast.total },
      };
    } catch (error) {
      translateDatabaseError(error);
    }
  }

  approve(cmd: DecideCommand): Promise<ApproveBufferProposalResponse> {
    return this.decide("ApproveBufferProposal", cmd, ApproveBufferProposalResponse, (p) => ({ state: "APPLIED", units: p.proposedUnits, verb: "approved" }),
      (proposal, stockPolicy) => ({ proposal, stockPolicy }));
  }

  reject(cmd: DecideCommand): Promise<RejectBufferProposalResponse> {
    return this.decide("RejectBufferProposal", cmd, RejectBufferProposalResponse, () => ({ state: "REJECTED", units: null, verb: "rejected" }),
      (proposal) => ({ proposal }));
  }

  override(cmd: OverrideCommand): Promise<OverrideBufferProposalResponse> {
    return this.decide("OverrideBufferProposal", cmd, OverrideBufferProposalResponse, () => ({ state: "OVERRIDDEN", units: cmd.units, verb: "overridden" }),
      (proposal, stockPolicy) => ({ proposal, stockPolicy }));
  }

  private decide<T>(
    method: string, cmd: DecideCommand, codec: ResponseCodec<T>, outcomeOf: (p: ProposalRow) => Outcome,
    respond: (proposal: BufferProposal, stockPolicy: StockPolicy | undefined) => T,
  ): Promise<T> {
    const time = this.clock.now();
    return runIdempotent(this.orm, {
      method, requestId: cmd.requestId, command: cmd, codec, time,
      work: async (em, record) => {
        const seen = await findProposal(em, cmd.proposalId);
        if (!seen) throw notFound(cmd.proposalId);
        const outcome = outcomeOf(seen);
        // Lock order: the stock level (the buffer changes there), then the proposal.
        if (outcome.units !== null) await lockStockLevels(em, [seen]);
        const proposal = await lockDecidable(em, cmd.proposalId);
        let stockPolicy: StockPolicy | undefined;
        if (outcome.units !== null) {
          const reason = `buffer proposal ${proposal.proposalId} (run ${proposal.runId}) ${outcome.verb} by ${cmd.decidedBy}${cmd.reason ? `: ${cmd.reason}` : ""}`;
          await writeStockPolicy(em, {
            requestId: cmd.requestId, sku: proposal.sku, warehouseId: proposal.warehouseId, minStock: null, leadTimeMs: null, autoActivate: null,
            safetyBuffer: outcome.units, reason: reason.slice(0, policyReasonLengthMax),
          }, time);
          stockPolicy = stockPolicyView((await readStockLevel(em, proposal.sku, proposal.warehouseId))!);
        }
        const decided = await decide(em, proposal.proposalId, {
          state: outcome.state, appliedUnits: outcome.units, decidedBy: cmd.decidedBy, reason: cmd.reason, requestId: cmd.requestId, time,
        });
        const response = respond(proposalView(decided!), stockPolicy);
        await record(response);
        return response;
      },
    });
  }
}

async function lockDecidable(em: Em, proposalId: string): Promise<ProposalRow> {
  const proposal = await findProposal(em, proposalId, true);
  if (!proposal) throw notFound(proposalId);
  if (proposal.state !== "PROPOSED") {
    throw new ServiceError({
      reason: "PROPOSAL_DECIDED",
      message: `buffer proposal ${proposalId} is ${proposal.state}${proposal.decidedBy ? ` (by ${proposal.decidedBy})` : ""}: only a PROPOSED proposal can be decided`,
      metadata: { proposal_id: proposalId, state: proposal.state, decided_by: proposal.decidedBy ?? "" },
    });
  }
  return proposal;
}

function notFound(proposalId: string): ServiceError {
  return new ServiceError({ reason: "PROPOSAL_NOT_FOUND", message: `buffer proposal ${proposalId} does not exist`, metadata: { proposal_id: proposalId } });
}
