// Allocation under scarcity through the real gRPC server: the waiting queue, priorities,
// thresholds, expiring holds and shortfalls after external sales.
import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { rejection } from "../support/server.js";
import { ManualClock } from "../support/clock.js";
import { AdjustmentReason, Priority, availability, newRequestId, newWarehouse, reserveRequest, stockedSku } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { ReservationApp } from "../../src/app/reservations.js";
import { ReleaseReason, ReservationState, type Reservation } from "../../src/gen/inventory/v1/reservation.js";
import { useTestServer } from "../support/harness.js";

const day = 86_400_000;
const clock = new ManualClock();
const { db, server } = useTestServer(clock);

const reserved = (r: Reservation | undefined) => r!.lines.map((l) => Number(l.reservedQuantity));
const waiting = (r: Reservation | undefined) => r!.lines.map((l) => Number(l.waitingQuantity));
const get = async (id: string) => (await server.reservations.getReservation({ reservationId: id })).reservation!;
const receive = (sku: string, warehouseId: string, units: number) =>
  server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: String(units), reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT });

describe("the waiting queue", () => {
  it("serves VIP orders first, then standard ones by arrival, fills them as receipts come in, and demotes the newest standard orders after an external sale", async () => {
    const { sku, warehouseId } = await stockedSku(server, 0);
    const arrivals = ["S1", "V1", "S2", "S3", "V2", "S4"];
    const ids = new Map<string, string>();
    for (const name of arrivals) {
      const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 3, warehouseId }], {
        orderId: name, waitForStock: true, priority: name.startsWith("V") ? Priority.PRIORITY_VIP : Priority.PRIORITY_STANDARD,
      }));
      expect(reservation!.state).toBe(ReservationState.RESERVATION_STATE_PENDING);
      expect(waiting(reservation)).toEqual([3]);
      ids.set(name, reservation!.reservationId);
    }
    const held = async () => Object.fromEntries(await Promise.all(arrivals.map(async (n) => [n, reserved(await get(ids.get(n)!))[0]])));

    await receive(sku, warehouseId, 10);
    expect(await held()).toEqual({ V1: 3, V2: 3, S1: 3, S2: 1, S3: 0, S4: 0 });
    expect((await get(ids.get("S2")!)).state).toBe(ReservationState.RESERVATION_STATE_ACTIVE);
    expect((await get(ids.get("S3")!)).state).toBe(ReservationState.RESERVATION_STATE_PENDING);

    await receive(sku, warehouseId, 6);
    expect(await held()).toEqual({ V1: 3, V2: 3, S1: 3, S2: 3, S3: 3, S4: 1 });
    expect(await availability(server, sku)).toEqual({ onHand: 16, reserved: 16, available: 0 });

    await server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: "-5", reason: AdjustmentReason.ADJUSTMENT_REASON_EXTERNAL_SALE });
    expect(await held()).toEqual({ V1: 3, V2: 3, S1: 3, S2: 2, S3: 0, S4: 0 });
    expect(await availability(server, sku)).toEqual({ onHand: 11, reserved: 11, available: 0 });
    expect(waiting(await get(ids.get("S3")!))).toEqual([3]);
    const { alerts } = await server.inventory.listAlerts({ sku, warehouseId: "", pageSize: 0, pageToken: "" });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ sku, warehouseId, unitsShort: "5" });
    expect(alerts[0]!.affectedReservations.map((a) => [a.orderId, a.demotedQuantity])).toEqual([["S4", "1"], ["S3", "3"], ["S2", "1"]]);
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("reserves what it can now and shows the waiting part with an expected date from the lead time", async () => {
    const { sku, warehouseId } = await stockedSku(server, 2);
    await server.inventory.setStockPolicy({ requestId: newRequestId(), sku, warehouseId, leadTime: { seconds: String(7 * 86_400), nanos: 0 }, reason: "supplier lead time" });
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 5 }], { waitForStock: true }));
    expect(reservation).toMatchObject({ state: ReservationState.RESERVATION_STATE_ACTIVE, waitForStock: true });
    expect(reservation!.lines[0]).toMatchObject({ requestedQuantity: "5", reservedQuantity: "2", waitingQuantity: "3" });
    expect(reservation!.lines[0]!.expectedAvailabilityTime).toEqual(new Date(clock.now().getTime() + 7 * day));
    expect(reservation!.summary).toBe(`${sku}: 2 of 5 reserved in ${warehouseId}, 3 waiting, expected ${new Date(clock.now().getTime() + 7 * day).toISOString().slice(0, 10)}.`);
    expect((await server.inventory.getAvailability({ sku, warehouseId: "" })).availability).toMatchObject({ available: "0", waiting: "3" });
  });

  it("cancelling a waiting order takes it out of the queue; cancelling a held one fills the next", async () => {
    const { sku, warehouseId } = await stockedSku(server, 3);
    const first = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 3, warehouseId }]))).reservation!;
    const second = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 2, warehouseId }], { waitForStock: true }))).reservation!;
    const third = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 2, warehouseId }], { waitForStock: true }))).reservation!;
    const cancelled = (await server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: second.reservationId, reason: ReleaseReason.RELEASE_REASON_CANCELLED })).reservation!;
    expect(cancelled).toMatchObject({ state: ReservationState.RESERVATION_STATE_RELEASED });
    expect(waiting(cancelled)).toEqual([0]);
    await server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: first.reservationId, reason: ReleaseReason.RELEASE_REASON_CANCELLED });
    expect(reserved(await get(third.reservationId))).toEqual([2]);
    expect(await availability(server, sku)).toEqual({ onHand: 3, reserved: 2, available: 1 });
    const ship = await rejection(server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: second.reservationId, reason: ReleaseReason.RELEASE_REASON_SHIPPED }));
    expect(ship.status.errorInfo?.reason).toBe("ALREADY_RELEASED");
  });

  it("refuses to ship an order that holds nothing yet", async () => {
    const { sku, warehouseId } = await stockedSku(server, 0);
    const pending = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }], { waitForStock: true }))).reservation!;
    const failed = await rejection(server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: pending.reservationId, reason: ReleaseReason.RELEASE_REASON_SHIPPED }));
    expect([failed.code, failed.status.errorInfo?.reason]).toEqual([status.FAILED_PRECONDITION, "NOTHING_HELD"]);
  });
});

describe("thresholds and buffers", () => {
  it("standard orders never take the safety buffer or go below min_stock; VIP orders may, down to zero", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const { stockPolicy } = await server.inventory.setStockPolicy({ requestId: newRequestId(), sku, warehouseId, minStock: "4", safetyBuffer: "2", reason: "peak season" });
    expect(stockPolicy).toMatchObject({ minStock: "4", safetyBuffer: "2", autoActivate: true });
    const { availability: view } = await server.inventory.getAvailability({ sku, warehouseId });
    expect(view).toMatchObject({ available: "6", vipAvailable: "10", minStock: "4" });
    const standard = await rejection(server.reservations.reserve(reserveRequest([{ sku, quantity: 7, warehouseId }])));
    expect(standard.status.errorInfo).toMatchObject({ reason: "INSUFFICIENT_STOCK", metadata: { available: "6" } });
    await server.reservations.reserve(reserveRequest([{ sku, quantity: 6, warehouseId }]));
    await server.reservations.reserve(reserveRequest([{ sku, quantity: 4, warehouseId }], { priority: Priority.PRIORITY_VIP }));
    const tooMuch = await rejection(server.reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }], { priority: Priority.PRIORITY_VIP })));
    expect(tooMuch.status.errorInfo?.reason).toBe("INSUFFICIENT_STOCK");
    expect(await availability(server, sku)).toEqual({ onHand: 10, reserved: 10, available: 0 });
    const audit = await db.query<{ payload: { reason: string; after: { min_stock: number } } }>(`SELECT payload FROM ledger_entry WHERE sku = ? AND kind = 'POLICY'`, [sku]);
    expect(audit.map((a) => [a.payload.reason, a.payload.after.min_stock])).toEqual([["peak season", 4]]);
  });

  it("without auto_activate waiting orders wait for a planner's fill", async () => {
    const { sku, warehouseId } = await stockedSku(server, 0);
    await server.inventory.setStockPolicy({ requestId: newRequestId(), sku, warehouseId, autoActivate: false, reason: "allocation by planner" });
    const order = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 2, warehouseId }], { waitForStock: true }))).reservation!;
    await receive(sku, warehouseId, 5);
    expect(reserved(await get(order.reservationId))).toEqual([0]);
    const filled = await server.inventory.fillWaitingReservations({ requestId: newRequestId(), sku, warehouseId });
    expect(filled).toEqual({ filledQuantity: "2", reservationIds: [order.reservationId] });
    expect(reserved(await get(order.reservationId))).toEqual([2]);
  });

  it("lowering the buffer fills waiting standard orders", async () => {
    const { sku, warehouseId } = await stockedSku(server, 5);
    await server.inventory.setStockPolicy({ requestId: newRequestId(), sku, warehouseId, safetyBuffer: "5", reason: "hold back" });
    const order = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 2, warehouseId }], { waitForStock: true }))).reservation!;
    expect(order.state).toBe(ReservationState.RESERVATION_STATE_PENDING);
    await server.inventory.setStockPolicy({ requestId: newRequestId(), sku, warehouseId, safetyBuffer: "1", reason: "release" });
    expect(reserved(await get(order.reservationId))).toEqual([2]);
  });

  it("answers NOT_FOUND for the policy of a SKU never stocked in the warehouse", async () => {
    const warehouseId = await newWarehouse(server);
    const failed = await rejection(server.inventory.getStockPolicy({ sku: "NEVER", warehouseId }));
    expect([failed.code, failed.status.errorInfo?.reason]).toEqual([status.NOT_FOUND, "STOCK_LEVEL_NOT_FOUND"]);
  });
});

describe("expiring holds", () => {
  const ttl = (seconds: number) => ({ seconds: String(seconds), nanos: 0 });

  it("stop counting at once when they expire, and the sweeper releases them and fills waiting orders", async () => {
    const { sku, warehouseId } = await stockedSku(server, 3);
    const cart = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 3, warehouseId }], { ttl: ttl(900) }))).reservation!;
    expect(cart.expireTime).toEqual(new Date(clock.now().getTime() + 900_000));
    const waiter = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 2, warehouseId }], { waitForStock: true }))).reservation!;
    expect(await availability(server, sku)).toMatchObject({ reserved: 3, available: 0 });
    clock.advance(900_000);
    expect(await availability(server, sku)).toMatchObject({ reserved: 0, available: 3 });
    expect(await new ReservationApp(db.orm, clock).sweepExpired()).toBeGreaterThanOrEqual(1);
    expect(await get(cart.reservationId)).toMatchObject({ state: ReservationState.RESERVATION_STATE_RELEASED, releaseReason: ReleaseReason.RELEASE_REASON_EXPIRED });
    expect(reserved(await get(waiter.reservationId))).toEqual([2]);
    expect(await availability(server, sku)).toEqual({ onHand: 3, reserved: 2, available: 1 });
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("a new order takes the units of an expired hold even before the sweeper runs", async () => {
    const { sku, warehouseId } = await stockedSku(server, 1);
    const cart = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }], { ttl: ttl(60) }))).reservation!;
    clock.advance(61_000);
    await server.reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }]));
    expect((await get(cart.reservationId)).releaseReason).toBe(ReleaseReason.RELEASE_REASON_EXPIRED);
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("can be extended, and confirmed so they never expire", async () => {
    const { sku, warehouseId } = await stockedSku(server, 2);
    const cart = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }], { ttl: ttl(60) }))).reservation!;
    clock.advance(30_000);
    const extended = (await server.reservations.extendReservation({ requestId: newRequestId(), reservationId: cart.reservationId, ttl: ttl(600) })).reservation!;
    expect(extended.expireTime).toEqual(new Date(clock.now().getTime() + 600_000));
    const confirmed = (await server.reservations.confirmReservation({ requestId: newRequestId(), reservationId: cart.reservationId })).reservation!;
    expect(confirmed.expireTime).toBeUndefined();
    clock.advance(30 * day);
    await new ReservationApp(db.orm, clock).sweepExpired();
    expect((await get(cart.reservationId)).state).toBe(ReservationState.RESERVATION_STATE_ACTIVE);
    const noTtl = await rejection(server.reservations.extendReservation({ requestId: newRequestId(), reservationId: cart.reservationId, ttl: ttl(60) }));
    expect(noTtl.status.errorInfo?.reason).toBe("NO_TTL");
  });

  it("refuses to extend a hold that already expired", async () => {
    const { sku, warehouseId } = await stockedSku(server, 2);
    const cart = (await server.reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }], { ttl: ttl(60) }))).reservation!;
    clock.advance(60_000);
    const failed = await rejection(server.reservations.extendReservation({ requestId: newRequestId(), reservationId: cart.reservationId, ttl: ttl(60) }));
    expect([failed.code, failed.status.errorInfo?.reason]).toEqual([status.FAILED_PRECONDITION, "HOLD_EXPIRED"]);
  });

  it.each([
    { name: "a ttl under a second", t: { seconds: "0", nanos: 5_000_000 } },
    { name: "a ttl over seven days", t: ttl(8 * 86_400) },
    { name: "a negative ttl", t: { seconds: "-5", nanos: 0 } },
  ])("rejects $name as INVALID_ARGUMENT", async ({ t }) => {
    const { sku } = await stockedSku(server, 1);
    const failed = await rejection(server.reservations.reserve(reserveRequest([{ sku, quantity: 1 }], { ttl: t })));
    expect([failed.code, failed.status.fieldViolations?.[0]?.field]).toEqual([status.INVALID_ARGUMENT, "ttl"]);
  });
});

it("leaves the counters, the ACTIVE lines and the ledger in agreement after this file's calls", async () => {
  expect(await checkInvariants(db)).toEqual(noViolations);
});
