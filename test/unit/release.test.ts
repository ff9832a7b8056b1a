import { describe, expect, it } from "vitest";
import { decideRelease } from "../../src/core/release.js";

const lines = [
  { sku: "A", warehouseId: "w1", reserved: 3 },
  { sku: "B", warehouseId: "w1", reserved: 0 },
];

describe("decideRelease", () => {
  it.each([
    { reason: "SHIPPED" as const, expected: [{ sku: "A", warehouseId: "w1", onHandDelta: -3, reservedDelta: -3 }] },
    { reason: "CANCELLED" as const, expected: [{ sku: "A", warehouseId: "w1", onHandDelta: 0, reservedDelta: -3 }] },
  ])("$reason moves only lines that hold units", ({ reason, expected }) => {
    const result = decideRelease({ reservationId: "r1", state: "ACTIVE", releaseReason: null }, reason, lines);
    expect(result).toEqual({ ok: true, value: expected });
  });

  it("refuses a second release whatever its reason", () => {
    for (const reason of ["SHIPPED", "CANCELLED"] as const) {
      const result = decideRelease({ reservationId: "r1", state: "RELEASED", releaseReason: "SHIPPED" }, reason, lines);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.failure).toMatchObject({ reason: "ALREADY_RELEASED", metadata: { reservation_id: "r1", release_reason: "SHIPPED" } });
    }
  });
});
