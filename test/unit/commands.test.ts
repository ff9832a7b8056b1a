import { describe, expect, it } from "vitest";
import { parseAdjustStock, parseListReservations, parseReserve, parseSetStock, parseRelease, parseBatchGetAvailability } from "../../src/core/commands.js";
import { AdjustmentReason } from "../../src/gen/inventory/v1/stock.js";
import { Priority, ReleaseReason, ReservationState } from "../../src/gen/inventory/v1/reservation.js";
import type { ReserveRequest } from "../../src/gen/inventory/v1/reservation_service.js";
import { reserveLinesMax, unitsMax, pageSizeMax, pageSizeDefault } from "../../src/limits.js";

const reserve = (over: Partial<ReserveRequest>): ReserveRequest => ({
  requestId: "req-1", orderId: "order-1", customerId: "", channel: "web", priority: Priority.PRIORITY_UNSPECIFIED, allowPartial: false, waitForStock: false,
  lines: [{ sku: "SKU-1", quantity: "1", warehouseId: "" }], ...over,
});

function violations(result: { ok: boolean; failure?: { violations?: { field: string; reason: string }[] } }) {
  return result.ok ? [] : (result.failure?.violations ?? []).map((v) => [v.field, v.reason]);
}

describe("parseReserve", () => {
  const cases: { name: string; request: ReserveRequest; expected: [string, string][] }[] = [
    { name: "accepts a minimal valid order", request: reserve({}), expected: [] },
    { name: "requires a request id", request: reserve({ requestId: "" }), expected: [["request_id", "FIELD_REQUIRED"]] },
    { name: "rejects a request id over 64 characters", request: reserve({ requestId: "x".repeat(65) }), expected: [["request_id", "FIELD_OUT_OF_RANGE"]] },
    { name: "rejects a non-ASCII request id", request: reserve({ requestId: "é" }), expected: [["request_id", "FIELD_MALFORMED"]] },
    { name: "requires an order id", request: reserve({ orderId: "" }), expected: [["order_id", "FIELD_REQUIRED"]] },
    { name: "requires at least one line", request: reserve({ lines: [] }), expected: [["lines", "FIELD_REQUIRED"]] },
    { name: "rejects zero quantity", request: reserve({ lines: [{ sku: "A", quantity: "0", warehouseId: "" }] }), expected: [["lines[0].quantity", "FIELD_OUT_OF_RANGE"]] },
    { name: "rejects negative quantity", request: reserve({ lines: [{ sku: "A", quantity: "-4", warehouseId: "" }] }), expected: [["lines[0].quantity", "FIELD_OUT_OF_RANGE"]] },
    { name: "rejects a quantity above the units limit", request: reserve({ lines: [{ sku: "A", quantity: String(unitsMax + 1), warehouseId: "" }] }), expected: [["lines[0].quantity", "FIELD_OUT_OF_RANGE"]] },
    { name: "rejects int64 max as a quantity", request: reserve({ lines: [{ sku: "A", quantity: "9223372036854775807", warehouseId: "" }] }), expected: [["lines[0].quantity", "FIELD_OUT_OF_RANGE"]] },
    { name: "requires a sku on every line", request: reserve({ lines: [{ sku: "", quantity: "1", warehouseId: "" }] }), expected: [["lines[0].sku", "FIELD_REQUIRED"]] },
    { name: "rejects a sku with spaces", request: reserve({ lines: [{ sku: "A B", quantity: "1", warehouseId: "" }] }), expected: [["lines[0].sku", "FIELD_MALFORMED"]] },
    { name: "rejects the same sku on two lines", request: reserve({ lines: [{ sku: "A", quantity: "1", warehouseId: "" }, { sku: "A", quantity: "2", warehouseId: "w1" }] }), expected: [["lines[1].sku", "DUPLICATE_SKU_LINE"]] },
    { name: "rejects more lines than the limit", request: reserve({ lines: Array.from({ length: reserveLinesMax + 1 }, (_, i) => ({ sku: `S${i}`, quantity: "1", warehouseId: "" })) }), expected: [["lines", "TOO_MANY_LINES"]] },
    { name: "rejects a malformed warehouse id", request: reserve({ lines: [{ sku: "A", quantity: "1", warehouseId: "w 1" }] }), expected: [["lines[0].warehouse_id", "FIELD_MALFORMED"]] },
    { name: "rejects an unknown priority value", request: reserve({ priority: 7 as Priority }), expected: [["priority", "FIELD_MALFORMED"]] },
    { name: "reports every violation at once", request: reserve({ requestId: "", orderId: "", lines: [] }), expected: [["request_id", "FIELD_REQUIRED"], ["order_id", "FIELD_REQUIRED"], ["lines", "FIELD_REQUIRED"]] },
  ];
  for (const c of cases) it(c.name, () => expect(violations(parseReserve(c.request))).toEqual(c.expected));

  it("treats an unspecified priority as standard", () => {
    const result = parseReserve(reserve({}));
    expect(result.ok && result.value.priority).toBe("STANDARD");
  });
});

describe("parseAdjustStock", () => {
  const base = { requestId: "r", sku: "A", warehouseId: "w1", delta: "5", reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT };
  const cases: { name: string; over: Partial<typeof base>; expected: [string, string][] }[] = [
    { name: "accepts a receipt with a positive delta", over: {}, expected: [] },
    { name: "requires a reason", over: { reason: AdjustmentReason.ADJUSTMENT_REASON_UNSPECIFIED }, expected: [["reason", "FIELD_REQUIRED"]] },
    { name: "rejects an unknown reason", over: { reason: 42 as AdjustmentReason }, expected: [["reason", "FIELD_MALFORMED"]] },
    { name: "rejects a zero delta", over: { delta: "0" }, expected: [["delta", "FIELD_OUT_OF_RANGE"]] },
    { name: "rejects a negative receipt", over: { delta: "-5" }, expected: [["delta", "FIELD_OUT_OF_RANGE"]] },
    { name: "rejects a positive external sale", over: { reason: AdjustmentReason.ADJUSTMENT_REASON_EXTERNAL_SALE }, expected: [["delta", "FIELD_OUT_OF_RANGE"]] },
    { name: "accepts a negative correction", over: { reason: AdjustmentReason.ADJUSTMENT_REASON_CORRECTION, delta: "-2" }, expected: [] },
    { name: "rejects int64 min", over: { delta: "-9223372036854775808" }, expected: [["delta", "FIELD_OUT_OF_RANGE"]] },
    { name: "requires a warehouse", over: { warehouseId: "" }, expected: [["warehouse_id", "FIELD_REQUIRED"]] },
  ];
  for (const c of cases) it(c.name, () => expect(violations(parseAdjustStock({ ...base, ...c.over }))).toEqual(c.expected));
});

describe("other parsers", () => {
  it("rejects a negative on_hand in SetStock", () => {
    expect(violations(parseSetStock({ requestId: "r", sku: "A", warehouseId: "w1", onHand: "-1" }))).toEqual([["on_hand", "FIELD_OUT_OF_RANGE"]]);
  });
  it("requires a release reason", () => {
    expect(violations(parseRelease({ requestId: "r", reservationId: "00000000-0000-4000-8000-000000000000", reason: ReleaseReason.RELEASE_REASON_UNSPECIFIED }))).toEqual([["reason", "FIELD_REQUIRED"]]);
  });
  it("rejects a reservation id that is not a UUID", () => {
    expect(violations(parseRelease({ requestId: "r", reservationId: "abc", reason: ReleaseReason.RELEASE_REASON_SHIPPED }))).toEqual([["reservation_id", "FIELD_MALFORMED"]]);
  });
  it("rejects duplicate SKUs in BatchGetAvailability", () => {
    expect(violations(parseBatchGetAvailability({ skus: ["A", "A"], warehouseId: "" }))).toEqual([["skus[1]", "DUPLICATE_SKU_LINE"]]);
  });
  it.each([
    { pageSize: 0, expected: pageSizeDefault },
    { pageSize: 7, expected: 7 },
    { pageSize: pageSizeMax + 1, expected: pageSizeMax },
  ])("page_size $pageSize becomes $expected", ({ pageSize, expected }) => {
    const result = parseListReservations({ orderId: "", sku: "", state: ReservationState.RESERVATION_STATE_UNSPECIFIED, pageSize, pageToken: "" });
    expect(result.ok && result.value.pageSize).toBe(expected);
  });
  it("rejects a negative page_size", () => {
    expect(violations(parseListReservations({ orderId: "", sku: "", state: 0, pageSize: -1, pageToken: "" }))).toEqual([["page_size", "FIELD_OUT_OF_RANGE"]]);
  });
});
