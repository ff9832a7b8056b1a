// Warehouses, stock counts and adjustments, and availability reads.
import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { rejection } from "../support/server.js";
import { AdjustmentReason, availability, newRequestId, newWarehouse, reserveRequest, stockedSku, unique } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { useTestServer } from "../support/harness.js";

const { db, server } = useTestServer();

describe("CreateWarehouse", () => {
  it("creates a warehouse and answers ALREADY_EXISTS on a repeat", async () => {
    const warehouseId = unique("wh");
    const { warehouse } = await server.inventory.createWarehouse({ warehouseId, displayName: "Amsterdam DC", region: "eu-west" });
    expect(warehouse).toMatchObject({ warehouseId, displayName: "Amsterdam DC", region: "eu-west" });
    expect(warehouse!.createTime).toBeInstanceOf(Date);
    const again = await rejection(server.inventory.createWarehouse({ warehouseId, displayName: "Other", region: "" }));
    expect([again.code, again.status.errorInfo?.reason, again.status.errorInfo?.metadata]).toEqual([status.ALREADY_EXISTS, "WAREHOUSE_EXISTS", { warehouse_id: warehouseId }]);
  });
});

describe("SetStock and AdjustStock", () => {
  it("SetStock sets an absolute count and writes its change to the ledger", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const { stockLevel } = await server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: "7" });
    expect(stockLevel).toMatchObject({ sku, warehouseId, onHand: "7", reserved: "0", available: "7", safetyBuffer: "0" });
    const entries = await db.query<{ kind: string; on_hand_delta: string; on_hand_after: string }>(
      `SELECT kind, on_hand_delta, on_hand_after FROM ledger_entry WHERE sku = ? ORDER BY seq`, [sku]);
    expect(entries).toEqual([{ kind: "SET_STOCK", on_hand_delta: "10", on_hand_after: "10" }, { kind: "SET_STOCK", on_hand_delta: "-3", on_hand_after: "7" }]);
  });

  it("SetStock below the reserved units demotes the newest reservation and never leaves reserved above on_hand", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    await server.reservations.reserve(reserveRequest([{ sku, quantity: 6, warehouseId }]));
    const { stockLevel } = await server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: "5" });
    expect(stockLevel).toMatchObject({ onHand: "5", reserved: "5", available: "0" });
    const { alerts } = await server.inventory.listAlerts({ sku, warehouseId: "", pageSize: 0, pageToken: "" });
    expect(alerts.map((a) => a.unitsShort)).toEqual(["1"]);
  });

  it("AdjustStock applies receipts and sales by their signed delta", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    await server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: "5", reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT });
    const { stockLevel } = await server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: "-3", reason: AdjustmentReason.ADJUSTMENT_REASON_EXTERNAL_SALE });
    expect(stockLevel).toMatchObject({ onHand: "12", available: "12" });
    const [entry] = await db.query<{ payload: { reason: string } }>(`SELECT payload FROM ledger_entry WHERE sku = ? ORDER BY seq DESC LIMIT 1`, [sku]);
    expect(entry!.payload.reason).toBe("EXTERNAL_SALE");
  });

  it("AdjustStock creates the stock level on a first receipt", async () => {
    const warehouseId = await newWarehouse(server);
    const sku = unique("SKU");
    const { stockLevel } = await server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: "4", reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT });
    expect(stockLevel).toMatchObject({ sku, onHand: "4", version: "2" });
  });

  it("AdjustStock refuses to take on_hand below zero, and writes nothing", async () => {
    const { sku, warehouseId } = await stockedSku(server, 5);
    await server.reservations.reserve(reserveRequest([{ sku, quantity: 3, warehouseId }]));
    const negative = await rejection(server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: "-6", reason: AdjustmentReason.ADJUSTMENT_REASON_DAMAGE }));
    expect([negative.code, negative.status.errorInfo?.reason]).toEqual([status.FAILED_PRECONDITION, "INSUFFICIENT_ON_HAND"]);
    expect(await availability(server, sku)).toEqual({ onHand: 5, reserved: 3, available: 2 });
    const unknownSku = unique("SKU");
    await rejection(server.inventory.adjustStock({ requestId: newRequestId(), sku: unknownSku, warehouseId, delta: "-1", reason: AdjustmentReason.ADJUSTMENT_REASON_CORRECTION }));
    expect(await db.query(`SELECT 1 FROM stock_level WHERE sku = ?`, [unknownSku])).toEqual([]);
  });

  it("answers NOT_FOUND for stock in an unknown warehouse", async () => {
    const failed = await rejection(server.inventory.setStock({ requestId: newRequestId(), sku: "A", warehouseId: "no-such-wh", onHand: "1" }));
    expect([failed.code, failed.status.errorInfo?.reason]).toEqual([status.NOT_FOUND, "WAREHOUSE_NOT_FOUND"]);
  });

  it("replays a retried AdjustStock without applying it twice", async () => {
    const { sku, warehouseId } = await stockedSku(server, 5);
    const request = { requestId: newRequestId(), sku, warehouseId, delta: "2", reason: AdjustmentReason.ADJUSTMENT_REASON_RETURN };
    const first = await server.inventory.adjustStock(request);
    expect(await server.inventory.adjustStock(request)).toEqual(first);
    expect(await availability(server, sku)).toMatchObject({ onHand: 7 });
  });
});

describe("availability", () => {
  it("sums over every warehouse when none is named, and excludes the safety buffer", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const second = await newWarehouse(server);
    await server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId: second, onHand: "4" });
    await server.reservations.reserve(reserveRequest([{ sku, quantity: 3, warehouseId }]));
    await server.inventory.setStockPolicy({ requestId: newRequestId(), sku, warehouseId: second, safetyBuffer: "2", reason: "test" });
    const { availability: all } = await server.inventory.getAvailability({ sku, warehouseId: "" });
    expect(all).toEqual({ sku, warehouseId: "", onHand: "14", reserved: "3", safetyBuffer: "2", available: "9", vipAvailable: "11", minStock: "2", waiting: "0" });
    const { availabilities } = await server.inventory.batchGetAvailability({ skus: [sku], warehouseId: second });
    expect(availabilities).toEqual([{ sku, warehouseId: second, onHand: "4", reserved: "0", safetyBuffer: "2", available: "2", vipAvailable: "4", minStock: "2", waiting: "0" }]);
  });

  it("answers BatchGetAvailability in the order asked", async () => {
    const a = await stockedSku(server, 1);
    const b = await stockedSku(server, 2, a.warehouseId);
    const { availabilities } = await server.inventory.batchGetAvailability({ skus: [b.sku, a.sku], warehouseId: "" });
    expect(availabilities.map((x) => [x.sku, x.available])).toEqual([[b.sku, "2"], [a.sku, "1"]]);
  });

  it("answers NOT_FOUND for a SKU never stocked and for an unknown warehouse", async () => {
    const a = await stockedSku(server, 1);
    const sku = await rejection(server.inventory.getAvailability({ sku: "NEVER", warehouseId: "" }));
    expect([sku.code, sku.status.errorInfo?.reason]).toEqual([status.NOT_FOUND, "SKU_NOT_FOUND"]);
    const wh = await rejection(server.inventory.getAvailability({ sku: a.sku, warehouseId: "nowhere" }));
    expect([wh.code, wh.status.errorInfo?.reason]).toEqual([status.NOT_FOUND, "WAREHOUSE_NOT_FOUND"]);
  });
});

it("leaves the counters, the ACTIVE lines and the ledger in agreement after this file's calls", async () => {
  expect(await checkInvariants(db)).toEqual(noViolations);
});
