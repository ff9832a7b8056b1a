// Every bad input gets INVALID_ARGUMENT with ErrorInfo and BadRequest naming the field, and
// leaves the database exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { openTestDatabase, type TestDatabase } from "../support/database.js";
import { rejection, startTestServer, type TestServer } from "../support/server.js";
import { AdjustmentReason, Priority, newRequestId, reserveRequest, stockedSku } from "../support/fixtures.js";
import { reserveLinesMax } from "../../src/limits.js";

let db: TestDatabase;
let server: TestServer;
let sku: string;
let warehouseId: string;
beforeAll(async () => {
  db = await openTestDatabase();
  server = await startTestServer(db.orm);
  ({ sku, warehouseId } = await stockedSku(server, 10));
});
afterAll(async () => {
  await server?.stop();
  await db?.close();
});

const snapshot = () =>
  db.query(`SELECT (SELECT count(*) FROM reservation) AS reservations, (SELECT count(*) FROM ledger_entry) AS ledger,
                   (SELECT count(*) FROM idempotency_key) AS answers, (SELECT count(*) FROM stock_level) AS levels,
                   (SELECT count(*) FROM warehouse) AS warehouses, (SELECT sum(reserved) FROM stock_level) AS reserved`);

type Case = { name: string; call: () => Promise<unknown>; field: string; reason: string };

describe("bad input", () => {
  const line = (over: object) => [{ sku: "X", quantity: 1, ...over }];
  const cases: Case[] = [
    { name: "Reserve without request_id", call: () => server.reservations.reserve(reserveRequest([{ sku, quantity: 1 }], { requestId: "" })), field: "request_id", reason: "FIELD_REQUIRED" },
    { name: "Reserve with a 65-character request_id", call: () => server.reservations.reserve(reserveRequest([{ sku, quantity: 1 }], { requestId: "r".repeat(65) })), field: "request_id", reason: "FIELD_OUT_OF_RANGE" },
    { name: "Reserve without order_id", call: () => server.reservations.reserve(reserveRequest([{ sku, quantity: 1 }], { orderId: "" })), field: "order_id", reason: "FIELD_REQUIRED" },
    { name: "Reserve without lines", call: () => server.reservations.reserve(reserveRequest([])), field: "lines", reason: "FIELD_REQUIRED" },
    { name: "Reserve with quantity 0", call: () => server.reservations.reserve(reserveRequest([{ sku, quantity: 0 }])), field: "lines[0].quantity", reason: "FIELD_OUT_OF_RANGE" },
    { name: "Reserve with a negative quantity", call: () => server.reservations.reserve(reserveRequest([{ sku, quantity: -5 }])), field: "lines[0].quantity", reason: "FIELD_OUT_OF_RANGE" },
    { name: "Reserve with int64 max units", call: () => server.reservations.reserve({ ...reserveRequest([]), lines: [{ sku, quantity: "9223372036854775807", warehouseId: "" }] }), field: "lines[0].quantity", reason: "FIELD_OUT_OF_RANGE" },
    { name: "Reserve with the same SKU twice", call: () => server.reservations.reserve(reserveRequest([{ sku, quantity: 1 }, { sku, quantity: 1, warehouseId }])), field: "lines[1].sku", reason: "DUPLICATE_SKU_LINE" },
    { name: "Reserve with too many lines", call: () => server.reservations.reserve(reserveRequest(Array.from({ length: reserveLinesMax + 1 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })))), field: "lines", reason: "TOO_MANY_LINES" },
    { name: "Reserve with an empty SKU", call: () => server.reservations.reserve(reserveRequest(line({ sku: "" }))), field: "lines[0].sku", reason: "FIELD_REQUIRED" },
    { name: "Reserve with a 10,000-character SKU", call: () => server.reservations.reserve(reserveRequest(line({ sku: "S".repeat(10_000) }))), field: "lines[0].sku", reason: "FIELD_OUT_OF_RANGE" },
    { name: "Reserve with a unicode SKU", call: () => server.reservations.reserve(reserveRequest(line({ sku: "ß-\u{1F600}" }))), field: "lines[0].sku", reason: "FIELD_MALFORMED" },
    { name: "Reserve with an unknown priority", call: () => server.reservations.reserve(reserveRequest([{ sku, quantity: 1 }], { priority: 99 as Priority })), field: "priority", reason: "FIELD_MALFORMED" },
    { name: "ReleaseReservation without a reason", call: () => server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: "00000000-0000-4000-8000-000000000000", reason: 0 }), field: "reason", reason: "FIELD_REQUIRED" },
    { name: "ReleaseReservation without request_id", call: () => server.reservations.releaseReservation({ requestId: "", reservationId: "00000000-0000-4000-8000-000000000000", reason: 1 }), field: "request_id", reason: "FIELD_REQUIRED" },
    { name: "GetReservation without an id", call: () => server.reservations.getReservation({ reservationId: "" }), field: "reservation_id", reason: "FIELD_REQUIRED" },
    { name: "ListReservations with a negative page_size", call: () => server.reservations.listReservations({ orderId: "", sku: "", state: 0, pageSize: -1, pageToken: "" }), field: "page_size", reason: "FIELD_OUT_OF_RANGE" },
    { name: "ListReservations with a forged page_token", call: () => server.reservations.listReservations({ orderId: "", sku: "", state: 0, pageSize: 1, pageToken: "bm9wZQ" }), field: "page_token", reason: "PAGE_TOKEN_INVALID" },
    { name: "SetStock with negative on_hand", call: () => server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: "-1" }), field: "on_hand", reason: "FIELD_OUT_OF_RANGE" },
    { name: "SetStock without a warehouse", call: () => server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId: "", onHand: "1" }), field: "warehouse_id", reason: "FIELD_REQUIRED" },
    { name: "AdjustStock without a reason", call: () => server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: "1", reason: AdjustmentReason.ADJUSTMENT_REASON_UNSPECIFIED }), field: "reason", reason: "FIELD_REQUIRED" },
    { name: "AdjustStock with a zero delta", call: () => server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: "0", reason: AdjustmentReason.ADJUSTMENT_REASON_CORRECTION }), field: "delta", reason: "FIELD_OUT_OF_RANGE" },
    { name: "AdjustStock with a receipt of negative units", call: () => server.inventory.adjustStock({ requestId: newRequestId(), sku, warehouseId, delta: "-1", reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT }), field: "delta", reason: "FIELD_OUT_OF_RANGE" },
    { name: "CreateWarehouse without an id", call: () => server.inventory.createWarehouse({ warehouseId: "", displayName: "", region: "" }), field: "warehouse_id", reason: "FIELD_REQUIRED" },
    { name: "CreateWarehouse with a malformed id", call: () => server.inventory.createWarehouse({ warehouseId: "a/b", displayName: "", region: "" }), field: "warehouse_id", reason: "FIELD_MALFORMED" },
    { name: "GetAvailability without a SKU", call: () => server.inventory.getAvailability({ sku: "", warehouseId: "" }), field: "sku", reason: "FIELD_REQUIRED" },
    { name: "SetStockPolicy with a negative min_stock", call: () => server.inventory.setStockPolicy({ requestId: newRequestId(), sku, warehouseId, minStock: "-1", reason: "" }), field: "min_stock", reason: "FIELD_OUT_OF_RANGE" },
    { name: "SetStockPolicy with a lead time over a year", call: () => server.inventory.setStockPolicy({ requestId: newRequestId(), sku, warehouseId, leadTime: { seconds: String(400 * 86_400), nanos: 0 }, reason: "" }), field: "lead_time", reason: "FIELD_OUT_OF_RANGE" },
    { name: "ExtendReservation without a ttl", call: () => server.reservations.extendReservation({ requestId: newRequestId(), reservationId: "00000000-0000-4000-8000-000000000000" }), field: "ttl", reason: "FIELD_REQUIRED" },
    { name: "ConfirmReservation with a malformed id", call: () => server.reservations.confirmReservation({ requestId: newRequestId(), reservationId: "nope" }), field: "reservation_id", reason: "FIELD_MALFORMED" },
    { name: "FillWaitingReservations without a SKU", call: () => server.inventory.fillWaitingReservations({ requestId: newRequestId(), sku: "", warehouseId }), field: "sku", reason: "FIELD_REQUIRED" },
    { name: "ListAlerts with a negative page_size", call: () => server.inventory.listAlerts({ sku: "", warehouseId: "", pageSize: -3, pageToken: "" }), field: "page_size", reason: "FIELD_OUT_OF_RANGE" },
    { name: "Reserve with a ttl of 8 days", call: () => server.reservations.reserve(reserveRequest([{ sku, quantity: 1 }], { ttl: { seconds: String(8 * 86_400), nanos: 0 } })), field: "ttl", reason: "FIELD_OUT_OF_RANGE" },
    { name: "BatchGetAvailability without SKUs", call: () => server.inventory.batchGetAvailability({ skus: [], warehouseId: "" }), field: "skus", reason: "FIELD_REQUIRED" },
  ];

  for (const c of cases) {
    it(`${c.name} is INVALID_ARGUMENT naming ${c.field} and writes nothing`, async () => {
      const before = await snapshot();
      const failed = await rejection(c.call());
      expect(failed.code).toBe(status.INVALID_ARGUMENT);
      expect(failed.status.errorInfo).toMatchObject({ reason: c.reason, domain: "stockhold.inventory.v1", metadata: { field: c.field } });
      expect(failed.status.fieldViolations?.[0]).toMatchObject({ field: c.field, reason: c.reason });
      expect(failed.status.code).toBe(status.INVALID_ARGUMENT);
      expect(await snapshot()).toEqual(before);
    });
  }
});
