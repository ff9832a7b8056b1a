// BufferService through gRPC: planners list, read, approve, reject and override the worker's
// proposals; every decision is recorded with who made it and is idempotent by request_id; an
// applied buffer flows into availability through SetStockPolicy's path.
import { status } from "@grpc/grpc-js";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { embeddedRunLock } from "../../forecast/run-lock.js";
import { parseWorkerConfig } from "../../forecast/worker-config.js";
import { runForecastOnce } from "../../forecast/worker.js";
import { BufferProposalState, type BufferProposal } from "../../src/gen/inventory/v1/buffer_service.js";
import { ReservationState } from "../../src/gen/inventory/v1/reservation.js";
import { ManualClock } from "../support/clock.js";
import { availability, newRequestId, newWarehouse, reserveRequest, unique } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { useTestServer } from "../support/harness.js";
import { dayOrdinal, insertHistory, seasonalHistory } from "../support/sales-history.js";
import { rejection } from "../support/server.js";
import { StrictReflectionClient } from "../support/strict-reflection-client.js";

const clock = new ManualClock(new Date("2026-12-01T03:00:00Z"));
const { db, server } = useTestServer(clock);
const { PROPOSED, APPLIED, REJECTED, OVERRIDDEN } = {
  PROPOSED: BufferProposalState.BUFFER_PROPOSAL_STATE_PROPOSED,
  APPLIED: BufferProposalState.BUFFER_PROPOSAL_STATE_APPLIED,
  REJECTED: BufferProposalState.BUFFER_PROPOSAL_STATE_REJECTED,
  OVERRIDDEN: BufferProposalState.BUFFER_PROPOSAL_STATE_OVERRIDDEN,
};

let warehouses: [string, string];
/** sku -> its proposal from the run, all PROPOSED (a guardrail of 0 leaves every change to planners). */
const proposalOf = new Map<string, BufferProposal>();
const skus: string[] = [];
const onHand = 1_000;

beforeAll(async () => {
  warehouses = [await newWarehouse(server), await newWarehouse(server)];
  const first = dayOrdinal("2023-12-01");
  const end = dayOrdinal("2026-12-01");
  for (let i = 0; i < 5; i++) {
    const sku = unique("BUF");
    const warehouseId = warehouses[i % 2]!;
    skus.push(sku);
    await server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: String(onHand) });
    await insertHistory(db, sku, warehouseId, seasonalHistory(100 + i, 4 + 3 * i, first, end));
  }
  const parsed = parseWorkerConfig({ FORECAST_GUARDRAIL: "0" });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  const result = await runForecastOnce({ orm: db.orm, config: parsed.value, clock, logger: pino({ level: "silent" }), lock: embeddedRunLock });
  if (result.status !== "finished" || result.run.proposed !== 5) throw new Error(`setup run: ${JSON.stringify(result)}`);
  const { proposals } = await server.buffers.listBufferProposals({ state: PROPOSED, sku: "", warehouseId: "", pageSize: 0, pageToken: "" });
  for (const p of proposals) proposalOf.set(p.sku, p);
}, 120_000);

const decision = (proposal: BufferProposal, over: Record<string, unknown> = {}) => ({
  requestId: newRequestId(), proposalId: proposal.proposalId, decidedBy: "planner.anna", reason: "", ...over,
});

describe("listing and reading proposals", () => {
  it("lists newest first, filters by state, sku and warehouse, and pages with tokens bound to the filters", async () => {
    expect(proposalOf.size).toBe(5);
    for (const p of proposalOf.values()) {
      expect(p).toMatchObject({ state: PROPOSED, runId: "forecast-2026-12-01", previousUnits: "0", decidedBy: "", decisionReason: "" });
      expect(Number(p.proposedUnits)).toBeGreaterThan(0);
      expect(p.appliedUnits).toBeUndefined();
    }
    const page1 = await server.buffers.listBufferProposals({ state: 0, sku: "", warehouseId: "", pageSize: 2, pageToken: "" });
    const page2 = await server.buffers.listBufferProposals({ state: 0, sku: "", warehouseId: "", pageSize: 2, pageToken: page1.nextPageToken });
    const page3 = await server.buffers.listBufferProposals({ state: 0, sku: "", warehouseId: "", pageSize: 2, pageToken: page2.nextPageToken });
    const listed = [...page1.proposals, ...page2.proposals, ...page3.proposals];
    expect(listed.map((p) => p.sku)).toEqual([...skus].reverse());
    expect(page3.nextPageToken).toBe("");

    const inFirst = await server.buffers.listBufferProposals({ state: 0, sku: "", warehouseId: warehouses[0], pageSize: 0, pageToken: "" });
    expect(inFirst.proposals.map((p) => p.sku)).toEqual([skus[4], skus[2], skus[0]]);
    const one = await server.buffers.listBufferProposals({ state: PROPOSED, sku: skus[1]!, warehouseId: "", pageSize: 0, pageToken: "" });
    expect(one.proposals.map((p) => p.sku)).toEqual([skus[1]]);
    expect((await server.buffers.listBufferProposals({ state: REJECTED, sku: "", warehouseId: "", pageSize: 0, pageToken: "" })).proposals).toEqual([]);

    const otherFilter = await rejection(server.buffers.listBufferProposals({ state: PROPOSED, sku: "", warehouseId: "", pageSize: 2, pageToken: page1.nextPageToken }));
    expect([otherFilter.code, otherFilter.status.errorInfo?.reason]).toEqual([status.INVALID_ARGUMENT, "PAGE_TOKEN_INVALID"]);
    const negative = await rejection(server.buffers.listBufferProposals({ state: 0, sku: "", warehouseId: "", pageSize: -1, pageToken: "" }));
    expect([negative.code, negative.status.fieldViolations?.map((v) => v.field)]).toEqual([status.INVALID_ARGUMENT, ["page_size"]]);
    const badState = await rejection(server.buffers.listBufferProposals({ state: 99 as BufferProposalState, sku: "bad sku", warehouseId: "", pageSize: 0, pageToken: "" }));
    expect(badState.status.fieldViolations?.map((v) => v.field)).toEqual(["state", "sku"]);
  });

  it("reads one proposal with its rationale, its recent history and its forecast", async () => {
    const p = proposalOf.get(skus[3]!)!;
    const got = await server.buffers.getBufferProposal({ proposalId: p.proposalId, historyPeriods: 0 });
    expect(got.proposal).toEqual(p);
    expect(got.proposal!.rationale).toMatchObject({
      periodKind: "month", historyPeriods: 36, serviceLevel: p.serviceLevel, leadTimeMs: String(7 * 86_400_000),
      protectionInterval: { leadTimePeriods: 1, reviewPeriods: 0, periods: 1, firstPeriod: "2026-12", lastPeriod: "2026-12" },
      guardrail: { fraction: 0, limitUnits: 0, within: false },
    });
    expect(["holt_winters", "seasonal_naive", "croston_sba", "tsb"]).toContain(got.proposal!.rationale!.method);
    expect(got.proposal!.rationale!.normalFormula!.z).toBeGreaterThan(1);
    expect(got.history).toHaveLength(24);
    expect([got.history[0]!.period, got.history[23]!.period]).toEqual(["2024-12", "2026-11"]);
    const sold = await db.query<{ units: string }>(
      `SELECT sum(units) AS units FROM sales_history WHERE sku = ? AND day >= '2026-11-01' AND day < '2026-12-01'`, [p.sku]);
    expect(got.history[23]!.units).toBe(sold[0]!.units);
    expect(got.forecast!.periods.map((f) => f.period)).toEqual(["2026-12"]);
    expect(got.forecast!.total).toBeCloseTo(got.forecast!.periods[0]!.units, 9);
    expect((await server.buffers.getBufferProposal({ proposalId: p.proposalId, historyPeriods: 6 })).history.map((h) => h.period))
      .toEqual(["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]);

    const missing = await rejection(server.buffers.getBufferProposal({ proposalId: "00000000-0000-4000-8000-000000000000", historyPeriods: 0 }));
    expect([missing.code, missing.status.errorInfo?.reason]).toEqual([status.NOT_FOUND, "PROPOSAL_NOT_FOUND"]);
    const malformed = await rejection(server.buffers.getBufferProposal({ proposalId: "p-1", historyPeriods: -1 }));
    expect(malformed.status.fieldViolations?.map((v) => [v.field, v.reason])).toEqual([["proposal_id", "FIELD_MALFORMED"], ["history_periods", "FIELD_OUT_OF_RANGE"]]);
  });
});

describe("BufferService on the server", () => {
  it("is served with reflection (methods and comments) for grpcurl describe", async () => {
    const client = new StrictReflectionClient(server.address);
    try {
      expect(await client.listServices()).toContain("inventory.v1.BufferService");
      const described = await client.describe("inventory.v1.BufferService");
      expect(described.kind === "service" && described.methods.map((m) => m.name)).toEqual([
        "ListBufferProposals", "GetBufferProposal", "ApproveBufferProposal", "RejectBufferProposal", "OverrideBufferProposal",
      ]);
      expect(await client.commentOf("inventory.v1.ApproveBufferProposalRequest.decided_by")).toMatch(/^Who approves it/);
    } finally {
      client.close();
    }
  });
});

describe("decisions", () => {
  it("approving applies the proposed buffer through SetStockPolicy's path: availability drops by it, the ledger records it, a retry changes nothing", async () => {
    const p = proposalOf.get(skus[0]!)!;
    const units = Number(p.proposedUnits);
    expect(await availability(server, p.sku, p.warehouseId)).toMatchObject({ onHand, available: onHand });
    const request = decision(p, { reason: "matches the season" });
    const approved = await server.buffers.approveBufferProposal(request);
    expect(approved.proposal).toMatchObject({
      state: APPLIED, appliedUnits: p.proposedUnits, decidedBy: "planner.anna", decisionReason: "matches the season", decideTime: clock.now(),
    });
    expect(approved.stockPolicy).toMatchObject({ sku: p.sku, warehouseId: p.warehouseId, safetyBuffer: p.proposedUnits });
    expect(await availability(server, p.sku, p.warehouseId)).toMatchObject({ onHand, available: onHand - units });
    const { availability: view } = await server.inventory.getAvailability({ sku: p.sku, warehouseId: "" });
    expect(view).toMatchObject({ safetyBuffer: p.proposedUnits, available: String(onHand - units), vipAvailable: String(onHand) });

    const policyEntries = () => db.query<{ payload: { reason: string; after: { safety_buffer: number } } }>(
      `SELECT payload FROM ledger_entry WHERE sku = ? AND kind = 'POLICY' AND request_id = ?`, [p.sku, request.requestId]);
    const entries = await policyEntries();
    expect(entries.map((e) => e.payload.after.safety_buffer)).toEqual([units]);
    expect(entries[0]!.payload.reason).toBe(`buffer proposal ${p.proposalId} (run forecast-2026-12-01) approved by planner.anna: matches the season`);

    expect(await server.buffers.approveBufferProposal(request)).toEqual(approved);
    expect(await policyEntries()).toHaveLength(1);
    const reused = await rejection(server.buffers.approveBufferProposal({ ...request, proposalId: proposalOf.get(skus[1]!)!.proposalId }));
    expect(reused.status.errorInfo?.reason).toBe("REQUEST_ID_REUSED");
    const again = await rejection(server.buffers.approveBufferProposal(decision(p, { decidedBy: "planner.ben" })));
    expect([again.code, again.status.errorInfo?.reason, again.status.errorInfo?.metadata]).toEqual([
      status.FAILED_PRECONDITION, "PROPOSAL_DECIDED", { proposal_id: p.proposalId, state: "APPLIED", decided_by: "planner.anna" },
    ]);
    const stored = await db.query(`SELECT state, decided_by, decision_request_id FROM buffer_proposal WHERE proposal_id = ?`, [p.proposalId]);
    expect(stored).toEqual([{ state: "APPLIED", decided_by: "planner.anna", decision_request_id: request.requestId }]);
  });

  it("rejecting keeps the buffer as it was and records who and why", async () => {
    const p = proposalOf.get(skus[1]!)!;
    const ledgerBefore = await db.query(`SELECT count(*) AS n FROM ledger_entry WHERE sku = ?`, [p.sku]);
    const { proposal } = await server.buffers.rejectBufferProposal(decision(p, { decidedBy: "planner.ben", reason: "promotion ends" }));
    expect(proposal).toMatchObject({ state: REJECTED, decidedBy: "planner.ben", decisionReason: "promotion ends", appliedUnits: undefined });
    expect((await server.inventory.getStockPolicy({ sku: p.sku, warehouseId: p.warehouseId })).stockPolicy!.safetyBuffer).toBe("0");
    expect(await availability(server, p.sku)).toMatchObject({ available: onHand });
    expect(await db.query(`SELECT count(*) AS n FROM ledger_entry WHERE sku = ?`, [p.sku])).toEqual(ledgerBefore);
    const override = await rejection(server.buffers.overrideBufferProposal({ ...decision(p, { reason: "late" }), units: "3" }));
    expect(override.status.errorInfo).toMatchObject({ reason: "PROPOSAL_DECIDED", metadata: { state: "REJECTED" } });
  });

  it("overriding applies the planner's units with a reason; lowering the buffer later fills waiting orders", async () => {
    const p = proposalOf.get(skus[2]!)!;
    const units = Number(p.proposedUnits) + 7;
    const { proposal, stockPolicy } = await server.buffers.overrideBufferProposal({ ...decision(p, { decidedBy: "planner.cho", reason: "new store opening" }), units: String(units) });
    expect(proposal).toMatchObject({ state: OVERRIDDEN, proposedUnits: p.proposedUnits, appliedUnits: String(units), decidedBy: "planner.cho", decisionReason: "new store opening" });
    expect(stockPolicy!.safetyBuffer).toBe(String(units));
    expect(await availability(server, p.sku)).toMatchObject({ available: onHand - units });

    // Every unit but the buffer is taken; a standard order waits for buffered units.
    await server.reservations.reserve(reserveRequest([{ sku: p.sku, quantity: onHand - units, warehouseId: p.warehouseId }]));
    const waiting = (await server.reservations.reserve(reserveRequest([{ sku: p.sku, quantity: 2, warehouseId: p.warehouseId }], { waitForStock: true }))).reservation!;
    expect(waiting.state).toBe(ReservationState.RESERVATION_STATE_PENDING);
    // The next night's proposal, overridden down to 0, frees the buffer for it.
    clock.advance(86_400_000);
    const parsed = parseWorkerConfig({ FORECAST_GUARDRAIL: "0" });
    if (!parsed.ok) throw new Error("settings");
    await runForecastOnce({ orm: db.orm, config: parsed.value, clock, logger: pino({ level: "silent" }), lock: embeddedRunLock });
    const next = (await server.buffers.listBufferProposals({ state: PROPOSED, sku: p.sku, warehouseId: "", pageSize: 0, pageToken: "" })).proposals[0]!;
    expect(next).toMatchObject({ runId: "forecast-2026-12-02", previousUnits: String(units) });
    await server.buffers.overrideBufferProposal({ ...decision(next, { reason: "clearance" }), units: "0" });
    const filled = (await server.reservations.getReservation({ reservationId: waiting.reservationId })).reservation!;
    expect([filled.state, filled.lines[0]!.reservedQuantity]).toEqual([ReservationState.RESERVATION_STATE_ACTIVE, "2"]);
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("a proposal a later run superseded cannot be decided", async () => {
    const old = proposalOf.get(skus[3]!)!;
    const stored = await db.query(`SELECT state, decided_by, decision_reason FROM buffer_proposal WHERE proposal_id = ?`, [old.proposalId]);
    expect(stored).toEqual([{ state: "SUPERSEDED", decided_by: "forecast-worker", decision_reason: "superseded by run forecast-2026-12-02" }]);
    const failed = await rejection(server.buffers.approveBufferProposal(decision(old)));
    expect(failed.status.errorInfo).toMatchObject({ reason: "PROPOSAL_DECIDED", metadata: { state: "SUPERSEDED" } });
  });

  it("validates decisions: request_id, proposal_id and decided_by required; override needs a reason and units >= 0", async () => {
    // The proposal of the second night's run: the first one was superseded.
    const p = (await server.buffers.listBufferProposals({ state: PROPOSED, sku: skus[4]!, warehouseId: "", pageSize: 0, pageToken: "" })).proposals[0]!;
    expect(p.runId).toBe("forecast-2026-12-02");
    const approve = await rejection(server.buffers.approveBufferProposal({ requestId: "", proposalId: "", decidedBy: "  ", reason: "" }));
    expect([approve.code, approve.status.fieldViolations?.map((v) => [v.field, v.reason])]).toEqual([status.INVALID_ARGUMENT, [
      ["request_id", "FIELD_REQUIRED"], ["proposal_id", "FIELD_REQUIRED"], ["decided_by", "FIELD_REQUIRED"],
    ]]);
    const override = await rejection(server.buffers.overrideBufferProposal({ ...decision(p), units: undefined }));
    expect(override.status.fieldViolations?.map((v) => [v.field, v.reason])).toEqual([["reason", "FIELD_REQUIRED"], ["units", "FIELD_REQUIRED"]]);
    const negative = await rejection(server.buffers.overrideBufferProposal({ ...decision(p, { reason: "x" }), units: "-1" }));
    expect(negative.status.fieldViolations?.map((v) => [v.field, v.reason])).toEqual([["units", "FIELD_OUT_OF_RANGE"]]);
    const unknown = await rejection(server.buffers.rejectBufferProposal(decision({ ...p, proposalId: "00000000-0000-4000-8000-000000000000" })));
    expect([unknown.code, unknown.status.errorInfo?.reason]).toEqual([status.NOT_FOUND, "PROPOSAL_NOT_FOUND"]);
    expect((await server.buffers.getBufferProposal({ proposalId: p.proposalId, historyPeriods: 0 })).proposal!.state).toBe(PROPOSED);
  });
});
