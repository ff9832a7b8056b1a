// Reserve and release through the real gRPC server on a real database.
import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { rejection } from "../support/server.js";
import { availability, newRequestId, newWarehouse, reserveRequest, stockedSku } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { ReleaseReason, ReservationState } from "../../src/gen/inventory/v1/reservation.js";
import { useTestServer } from "../support/harness.js";

const { db, server } = useTestServer();

describe("Reserve", () => {
  it("holds the units and lowers availability by exactly the reserved quantity", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 3, warehouseId }]));
    expect(reservation).toMatchObject({ state: ReservationState.RESERVATION_STATE_ACTIVE, lines: [{ sku, warehouseId, requestedQuantity: "3", reservedQuantity: "3" }] });
    // Time-ordered (UUIDv7), so new rows go to the end of the indexes keyed by it.
    expect(reservation!.reservationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await availability(server, sku, warehouseId)).toEqual({ onHand: 10, reserved: 3, available: 7 });
    const { reservation: read } = await server.reservations.getReservation({ reservationId: reservation!.reservationId });
    expect(read).toEqual(reservation);
  });

  it("takes the warehouse with the most available units when the line names none", async () => {
    const small = await stockedSku(server, 2);
    const big = await newWarehouse(server);
    await server.inventory.setStock({ requestId: newRequestId(), sku: small.sku, warehouseId: big, onHand: "8" });
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku: small.sku, quantity: 4 }]));
    expect(reservation!.lines[0]).toMatchObject({ warehouseId: big, reservedQuantity: "4" });
  });

  it("fails the whole order with INSUFFICIENT_STOCK and writes nothing when a line falls short", async () => {
    const a = await stockedSku(server, 5);
    const b = await stockedSku(server, 1, a.warehouseId);
    const before = await db.query(`SELECT (SELECT count(*) FROM reservation) AS r, (SELECT count(*) FROM ledger_entry) AS l`);
    const failed = await rejection(server.reservations.reserve(reserveRequest([{ sku: a.sku, quantity: 2 }, { sku: b.sku, quantity: 2 }])));
    expect(failed.code).toBe(status.FAILED_PRECONDITION);
    expect(failed.status.errorInfo).toMatchObject({ reason: "INSUFFICIENT_STOCK", domain: "stockhold.inventory.v1", metadata: { sku: b.sku, requested: "2", available: "1" } });
    expect(await db.query(`SELECT (SELECT count(*) FROM reservation) AS r, (SELECT count(*) FROM ledger_entry) AS l`)).toEqual(before);
    expect(await availability(server, a.sku)).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });

  it("with allow_partial gives each line what is available and shows requested against reserved", async () => {
    const a = await stockedSku(server, 5);
    const b = await stockedSku(server, 1, a.warehouseId);
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku: a.sku, quantity: 2 }, { sku: b.sku, quantity: 3 }], { allowPartial: true }));
    expect(reservation!.lines.map((l) => [l.sku, l.requestedQuantity, l.reservedQuantity])).toEqual([[a.sku, "2", "2"], [b.sku, "3", "1"]]);
    expect(await availability(server, b.sku)).toMatchObject({ reserved: 1, available: 0 });
  });

  it("with allow_partial still fails when no line can get a single unit", async () => {
    const a = await stockedSku(server, 0);
    const failed = await rejection(server.reservations.reserve(reserveRequest([{ sku: a.sku, quantity: 2 }], { allowPartial: true })));
    expect(failed.status.errorInfo?.reason).toBe("INSUFFICIENT_STOCK");
  });

  it("gives 0 available for a SKU stocked elsewhere but never in the named warehouse", async () => {
    const a = await stockedSku(server, 5);
    const other = await newWarehouse(server);
    expect(await availability(server, a.sku, other)).toEqual({ onHand: 0, reserved: 0, available: 0 });
    const failed = await rejection(server.reservations.reserve(reserveRequest([{ sku: a.sku, quantity: 1, warehouseId: other }])));
    expect(failed.status.errorInfo).toMatchObject({ reason: "INSUFFICIENT_STOCK", metadata: { available: "0" } });
  });

  it("answers NOT_FOUND for a SKU never stocked, an unknown warehouse and an unknown reservation", async () => {
    const a = await stockedSku(server, 5);
    const sku = await rejection(server.reservations.reserve(reserveRequest([{ sku: "NEVER-STOCKED", quantity: 1 }])));
    expect([sku.code, sku.status.errorInfo?.reason]).toEqual([status.NOT_FOUND, "SKU_NOT_FOUND"]);
    const wh = await rejection(server.reservations.reserve(reserveRequest([{ sku: a.sku, quantity: 1, warehouseId: "no-such-wh" }])));
    expect([wh.code, wh.status.errorInfo?.reason]).toEqual([status.NOT_FOUND, "WAREHOUSE_NOT_FOUND"]);
    const res = await rejection(server.reservations.getReservation({ reservationId: "00000000-0000-4000-8000-000000000000" }));
    expect([res.code, res.status.errorInfo?.reason]).toEqual([status.NOT_FOUND, "RESERVATION_NOT_FOUND"]);
    const rel = await rejection(server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: "00000000-0000-4000-8000-000000000000", reason: ReleaseReason.RELEASE_REASON_CANCELLED }));
    expect(rel.code).toBe(status.NOT_FOUND);
  });
});

describe("ReleaseReservation", () => {
  it("SHIPPED takes the units out of on_hand and reserved together", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 4, warehouseId }]));
    const { reservation: released } = await server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: reservation!.reservationId, reason: ReleaseReason.RELEASE_REASON_SHIPPED });
    expect(released).toMatchObject({ state: ReservationState.RESERVATION_STATE_RELEASED, releaseReason: ReleaseReason.RELEASE_REASON_SHIPPED });
    expect(await availability(server, sku)).toEqual({ onHand: 6, reserved: 0, available: 6 });
  });

  it("CANCELLED makes the units available again", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 4, warehouseId }]));
    await server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: reservation!.reservationId, reason: ReleaseReason.RELEASE_REASON_CANCELLED });
    expect(await availability(server, sku)).toEqual({ onHand: 10, reserved: 0, available: 10 });
  });

  it("refuses a second release with ALREADY_RELEASED and never changes a counter again", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 4, warehouseId }]));
    const id = reservation!.reservationId;
    await server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: id, reason: ReleaseReason.RELEASE_REASON_SHIPPED });
    for (const reason of [ReleaseReason.RELEASE_REASON_SHIPPED, ReleaseReason.RELEASE_REASON_CANCELLED]) {
      const again = await rejection(server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: id, reason }));
      expect([again.code, again.status.errorInfo?.reason]).toEqual([status.FAILED_PRECONDITION, "ALREADY_RELEASED"]);
    }
    expect(await availability(server, sku)).toEqual({ onHand: 6, reserved: 0, available: 6 });
  });

  it("takes effect once when many releases of one reservation race", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 4, warehouseId }]));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: reservation!.reservationId, reason: ReleaseReason.RELEASE_REASON_SHIPPED })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await availability(server, sku)).toEqual({ onHand: 6, reserved: 0, available: 6 });
  });
});

describe("idempotency", () => {
  it("returns the first answer to a retry with the same request_id and reserves once", async () => {
    const { sku } = await stockedSku(server, 10);
    const request = reserveRequest([{ sku, quantity: 2 }]);
    const first = await server.reservations.reserve(request);
    const retry = await server.reservations.reserve(request);
    expect(retry).toEqual(first);
    expect(await availability(server, sku)).toMatchObject({ reserved: 2 });
  });

  it("returns the first answer even after the stock it took is gone", async () => {
    const { sku } = await stockedSku(server, 2);
    const request = reserveRequest([{ sku, quantity: 2 }]);
    const first = await server.reservations.reserve(request);
    expect(await server.reservations.reserve(request)).toEqual(first);
  });

  it("rejects the same request_id with a different request as REQUEST_ID_REUSED", async () => {
    const { sku } = await stockedSku(server, 10);
    const request = reserveRequest([{ sku, quantity: 2 }]);
    await server.reservations.reserve(request);
    const reused = await rejection(server.reservations.reserve({ ...request, lines: [{ sku, quantity: "3", warehouseId: "" }] }));
    expect([reused.code, reused.status.errorInfo?.reason]).toEqual([status.INVALID_ARGUMENT, "REQUEST_ID_REUSED"]);
    expect(reused.status.fieldViolations?.[0]?.field).toBe("request_id");
    const otherMethod = await rejection(server.inventory.setStock({ requestId: request.requestId, sku, warehouseId: "x", onHand: "1" }));
    expect(otherMethod.status.errorInfo?.reason).toBe("REQUEST_ID_REUSED");
    expect(await availability(server, sku)).toMatchObject({ reserved: 2 });
  });

  it("evaluates a retry afresh when the first attempt failed", async () => {
    const { sku, warehouseId } = await stockedSku(server, 1);
    const request = reserveRequest([{ sku, quantity: 3 }]);
    expect((await rejection(server.reservations.reserve(request))).status.errorInfo?.reason).toBe("INSUFFICIENT_STOCK");
    await server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: "5" });
    const { reservation } = await server.reservations.reserve(request);
    expect(reservation!.lines[0]!.reservedQuantity).toBe("3");
  });

  it("makes one reservation when twenty copies of one request race", async () => {
    const { sku } = await stockedSku(server, 100);
    const request = reserveRequest([{ sku, quantity: 1 }]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => server.reservations.reserve(request)));
    expect(new Set(answers.map((a) => a.reservation!.reservationId)).size).toBe(1);
    expect(await availability(server, sku)).toMatchObject({ reserved: 1 });
  });

  it("replays a release retry with its first answer instead of ALREADY_RELEASED", async () => {
    const { sku } = await stockedSku(server, 10);
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 4 }]));
    const release = { requestId: newRequestId(), reservationId: reservation!.reservationId, reason: ReleaseReason.RELEASE_REASON_SHIPPED };
    const first = await server.reservations.releaseReservation(release);
    expect(await server.reservations.releaseReservation(release)).toEqual(first);
    expect(await availability(server, sku)).toEqual({ onHand: 6, reserved: 0, available: 6 });
  });
});

describe("ListReservations", () => {
  it("pages through an order's reservations oldest first with filters kept in the token", async () => {
    const { sku } = await stockedSku(server, 100);
    const orderId = "order-paged";
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await server.reservations.reserve(reserveRequest([{ sku, quantity: 1 }], { orderId }))).reservation!.reservationId);
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await server.reservations.listReservations({ orderId, sku: "", state: 0, pageSize: 2, pageToken });
      seen.push(...page.reservations.map((r) => r.reservationId));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken && pages < 10);
    expect(seen).toEqual(made);
    expect(pages).toBe(3);
    const bySku = await server.reservations.listReservations({ orderId: "", sku, state: ReservationState.RESERVATION_STATE_ACTIVE, pageSize: 0, pageToken: "" });
    expect(bySku.reservations.map((r) => r.reservationId)).toEqual(made);
    const released = await server.reservations.listReservations({ orderId, sku: "", state: ReservationState.RESERVATION_STATE_RELEASED, pageSize: 0, pageToken: "" });
    expect(released.reservations).toEqual([]);
  });

  it("rejects a page token used with different filters", async () => {
    const { sku } = await stockedSku(server, 10);
    for (let i = 0; i < 2; i++) await server.reservations.reserve(reserveRequest([{ sku, quantity: 1 }]));
    const page = await server.reservations.listReservations({ orderId: "", sku, state: 0, pageSize: 1, pageToken: "" });
    const failed = await rejection(server.reservations.listReservations({ orderId: "", sku: "OTHER", state: 0, pageSize: 1, pageToken: page.nextPageToken }));
    expect([failed.code, failed.status.errorInfo?.reason]).toEqual([status.INVALID_ARGUMENT, "PAGE_TOKEN_INVALID"]);
  });
});

it("leaves the counters, the ACTIVE lines and the ledger in agreement after this file's calls", async () => {
  expect(await checkInvariants(db)).toEqual(noViolations);
});
