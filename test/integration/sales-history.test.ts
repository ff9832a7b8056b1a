// Sales history is fed as sales happen, in the transaction of the sale: shipped reservations
// (per line, the units it held) and external sales (AdjustStock EXTERNAL_SALE), on the UTC day
// of the call. Nothing else that moves stock counts as a sale.
import { describe, expect, it } from "vitest";
import { ManualClock } from "../support/clock.js";
import { AdjustmentReason, newRequestId, newWarehouse, reserveRequest, stockedSku } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { ReleaseReason } from "../../src/gen/inventory/v1/reservation.js";
import { useTestServer } from "../support/harness.js";

const hour = 3_600_000;
// 22:30 UTC, so a call two hours later falls on the next UTC day.
const clock = new ManualClock(new Date("2026-12-01T22:30:00Z"));
const { db, server } = useTestServer(clock);

const byKey = (x: { warehouse_id: string; day: string }, y: { warehouse_id: string; day: string }) =>
  (x.warehouse_id === y.warehouse_id ? (x.day < y.day ? -1 : 1) : x.warehouse_id < y.warehouse_id ? -1 : 1);
const salesOf = async (sku: string) =>
  (await db.query<{ warehouse_id: string; day: string; units: string }>(
    `SELECT warehouse_id, day::text AS day, units FROM sales_history WHERE sku = ?`, [sku])).sort(byKey);

describe("sales history", () => {
  it("records the units each line of a shipped reservation held, per warehouse and UTC day, adding up within a day", async () => {
    const a = await newWarehouse(server);
    const b = await newWarehouse(server);
    const { sku } = await stockedSku(server, 10, a);
    await server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId: b, onHand: "10" });
    const other = (await stockedSku(server, 0, a)).sku;
    const ship = async (lines: { sku: string; quantity: number; warehouseId: string }[], allowPartial = false) => {
      const { reservation } = await server.reservations.reserve(reserveRequest(lines, { allowPartial }));
      await server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: reservation!.reservationId, reason: ReleaseReason.RELEASE_REASON_SHIPPED });
    };
    await ship([{ sku, quantity: 2, warehouseId: a }]);
    await ship([{ sku, quantity: 3, warehouseId: a }]);
    // A partial order whose second line got nothing: only the held units are sales.
    await ship([{ sku, quantity: 1, warehouseId: b }, { sku: other, quantity: 4, warehouseId: a }], true);
    clock.advance(2 * hour);
    await ship([{ sku, quantity: 4, warehouseId: a }]);
    expect(await salesOf(sku)).toEqual([
      { warehouse_id: a, day: "2026-12-01", units: "5" },
      { warehouse_id: a, day: "2026-12-02", units: "4" },
      { warehouse_id: b, day: "2026-12-01", units: "1" },
    ].sort(byKey));
    expect(await salesOf(other)).toEqual([]);
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("records external sales, but not cancellations, damage, corrections or receipts", async () => {
    const { sku, warehouseId } = await stockedSku(server, 20);
    const adjust = (delta: number, reason: AdjustmentReason) =>
      server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: String(delta), reason });
    await adjust(-3, AdjustmentReason.ADJUSTMENT_REASON_EXTERNAL_SALE);
    await adjust(-2, AdjustmentReason.ADJUSTMENT_REASON_EXTERNAL_SALE);
    await adjust(-1, AdjustmentReason.ADJUSTMENT_REASON_DAMAGE);
    await adjust(-1, AdjustmentReason.ADJUSTMENT_REASON_CORRECTION);
    await adjust(5, AdjustmentReason.ADJUSTMENT_REASON_RECEIPT);
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 2, warehouseId }]));
    await server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: reservation!.reservationId, reason: ReleaseReason.RELEASE_REASON_CANCELLED });
    expect(await salesOf(sku)).toEqual([{ warehouse_id: warehouseId, day: clock.now().toISOString().slice(0, 10), units: "5" }]);
  });

  it("a retried sale or shipment counts once, and a failed one not at all", async () => {
    const { sku, warehouseId } = await stockedSku(server, 4);
    const sale = { requestId: newRequestId(), sku, warehouseId, delta: "-2", reason: AdjustmentReason.ADJUSTMENT_REASON_EXTERNAL_SALE };
    await server.inventory.adjustStock(sale);
    await server.inventory.adjustStock(sale);
    await expect(server.inventory.adjustStock({ ...sale, requestId: newRequestId(), delta: "-9" })).rejects.toThrow(/INSUFFICIENT_ON_HAND|cannot remove/);
    const { reservation } = await server.reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }]));
    const release = { requestId: newRequestId(), reservationId: reservation!.reservationId, reason: ReleaseReason.RELEASE_REASON_SHIPPED };
    await server.reservations.releaseReservation(release);
    await server.reservations.releaseReservation(release);
    expect((await salesOf(sku)).map((r) => r.units)).toEqual(["3"]);
  });

  it("the table refuses negative units", async () => {
    const { sku, warehouseId } = await stockedSku(server, 1);
    await expect(db.query(`INSERT INTO sales_history (sku, warehouse_id, day, units) VALUES (?, ?, '2026-01-01', -1)`, [sku, warehouseId]))
      .rejects.toThrow(/sales_history_units_nonnegative/);
  });
});
