// UUIDv7: the RFC 9562 layout, time order, and the inputs it refuses.
import { describe, expect, it } from "vitest";
import { uuidV7, uuidV7RandomBytes } from "../../src/core/time-ordered-id.js";
import { newReservationId } from "../../src/app/reservation-ids.js";

const zeros = new Uint8Array(uuidV7RandomBytes);
const ones = new Uint8Array(uuidV7RandomBytes).fill(0xff);

describe("uuidV7", () => {
  it.each([
    // RFC 9562, appendix A.6: 2022-02-22T19:22:22Z, rand_a 0xCC3, rand_b 0x18C4DC0C0C07398F.
    { name: "the RFC's example", ms: 0x017f22e279b0, random: [0x0c, 0xc3, 0x98, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f], id: "017f22e2-79b0-7cc3-98c4-dc0c0c07398f" },
    { name: "the earliest time, zero random bits", ms: 0, random: [...zeros], id: "00000000-0000-7000-8000-000000000000" },
    { name: "the latest time, every random bit set", ms: 2 ** 48 - 1, random: [...ones], id: "ffffffff-ffff-7fff-bfff-ffffffffffff" },
  ])("lays out $name as version 7, variant 10", ({ ms, random, id }) => {
    expect(uuidV7(ms, Uint8Array.from(random))).toBe(id);
  });

  it("sorts ids of later milliseconds after earlier ones, whatever their random bits", () => {
    const earlier = uuidV7(1_700_000_000_000, ones);
    const later = uuidV7(1_700_000_000_001, zeros);
    expect(earlier < later).toBe(true);
  });

  it.each([
    { name: "a negative time", ms: -1, random: zeros },
    { name: "a time past 48 bits", ms: 2 ** 48, random: zeros },
    { name: "a fractional time", ms: 1.5, random: zeros },
    { name: "too few random bytes", ms: 0, random: new Uint8Array(uuidV7RandomBytes - 1) },
  ])("refuses $name", ({ ms, random }) => {
    expect(() => uuidV7(ms, random)).toThrow(RangeError);
  });
});

describe("newReservationId", () => {
  it("makes distinct lowercase version-7 ids in time order, across refills of its random pool", () => {
    const before = Date.now();
    const ids = Array.from({ length: 1_000 }, () => newReservationId());
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const ms = parseInt(id.replace(/-/g, "").slice(0, 12), 16);
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(after);
    }
    const prefixes = ids.map((id) => id.slice(0, 13));
    expect(prefixes).toEqual([...prefixes].sort());
  });
});
