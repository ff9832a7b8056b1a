import { describe, expect, it } from "vitest";
import { expectedTime, isExpired, liveState, summarize, type LineRecord, type ReservationRecord } from "../../src/core/reservation.js";
import { allocate } from "../../src/core/allocate.js";
import { availableFor, summarizeAvailability } from "../../src/core/stock.js";

const now = new Date("2026-12-01T10:00:00Z");
const base: ReservationRecord = {
  reservationId: "r1", orderId: "o1", customerId: "", channel: "web", priority: "STANDARD", state: "ACTIVE", releaseReason: null,
  waitForStock: true, expireTime: null, createTime: now, updateTime: now,
};
const line = (over: Partial<LineRecord>): LineRecord => ({ lineIndex: 0, sku: "TSHIRT", warehouseId: "ams-1", requested: 5, reserved: 5, waiting: 0, expectedTime: null, ...over });

describe("reservation facts", () => {
  it.each([
    { lines: [{ reserved: 0 }, { reserved: 0 }], state: "PENDING" },
    { lines: [{ reserved: 0 }, { reserved: 1 }], state: "ACTIVE" },
  ])("a live reservation holding $lines is $state", ({ lines, state }) => expect(liveState(lines)).toBe(state));

  it("expects waiting units after the lead time, and not at all without one", () => {
    expect(expectedTime(now, 7 * 86_400_000)?.toISOString()).toBe("2026-12-08T10:00:00.000Z");
    expect(expectedTime(now, 0)).toBeNull();
  });

  it("expires a live hold at its expire time, never a released one", () => {
    expect(isExpired({ state: "ACTIVE", expireTime: now }, now)).toBe(true);
    expect(isExpired({ state: "ACTIVE", expireTime: new Date(now.getTime() + 1) }, now)).toBe(false);
    expect(isExpired({ state: "RELEASED", expireTime: now }, now)).toBe(false);
    expect(isExpired({ state: "PENDING", expireTime: null }, now)).toBe(false);
  });

  it.each([
    { name: "a full reservation", r: base, lines: [line({})], text: "TSHIRT: 5 of 5 reserved in ams-1." },
    { name: "a waiting line with a lead time", r: base, lines: [line({ reserved: 3, waiting: 2, expectedTime: new Date("2026-12-08T10:00:00Z") })], text: "TSHIRT: 3 of 5 reserved in ams-1, 2 waiting, expected 2026-12-08." },
    { name: "a pending order without lead time", r: { ...base, state: "PENDING" as const }, lines: [line({ reserved: 0, waiting: 5 })], text: "Waiting for stock; nothing is held yet. TSHIRT: 0 of 5 reserved in ams-1, 5 waiting (no expected date: no lead time set)." },
    { name: "a cart hold", r: { ...base, expireTime: new Date("2026-12-01T10:15:00Z") }, lines: [line({})], text: "TSHIRT: 5 of 5 reserved in ams-1. Held until 2026-12-01T10:15:00.000Z unless extended or confirmed." },
    { name: "a released one", r: { ...base, state: "RELEASED" as const, releaseReason: "EXPIRED" as const }, lines: [line({})], text: "Released (expired). TSHIRT: 5 of 5 reserved in ams-1." },
  ])("summarizes $name for an agent", ({ r, lines, text }) => expect(summarize(r, lines)).toBe(text));
});

describe("priority views of availability", () => {
  const level = { sku: "A", warehouseId: "w1", onHand: 10, reserved: 4, safetyBuffer: 2, minStock: 3 };
  it("standard orders stop at max(buffer, min_stock); VIP orders go down to zero", () => {
    expect(availableFor(level, "STANDARD")).toBe(3);
    expect(availableFor(level, "VIP")).toBe(6);
  });
  it("availability ignores expired holds before the sweeper runs", () => {
    const figures = summarizeAvailability("A", null, [{ ...level, expiredReserved: 4, waiting: 1 }]);
    expect(figures).toMatchObject({ reserved: 0, available: 7, vipAvailable: 10, minStock: 3, waiting: 1 });
  });
  it("a VIP order may take the buffer a standard order may not", () => {
    const command = (priority: "STANDARD" | "VIP") => ({
      requestId: "r", orderId: "o", customerId: "", channel: "", priority, allowPartial: false, waitForStock: false, ttlMs: null,
      lines: [{ sku: "A", quantity: 5, warehouseId: "w1" }],
    });
    expect(allocate({ command: command("STANDARD"), stock: [level], knownWarehouseIds: new Set(["w1"]) }).ok).toBe(false);
    expect(allocate({ command: command("VIP"), stock: [level], knownWarehouseIds: new Set(["w1"]) }).ok).toBe(true);
  });
  it("a waiting order never fails for want of stock and records what waits", () => {
    const result = allocate({
      command: { requestId: "r", orderId: "o", customerId: "", channel: "", priority: "STANDARD", allowPartial: false, waitForStock: true, ttlMs: null, lines: [{ sku: "A", quantity: 5, warehouseId: null }] },
      stock: [{ ...level, reserved: 10 }], knownWarehouseIds: new Set(),
    });
    expect(result).toEqual({ ok: true, value: [{ index: 0, sku: "A", warehouseId: "w1", requested: 5, reserved: 0, waiting: 5 }] });
  });
});
