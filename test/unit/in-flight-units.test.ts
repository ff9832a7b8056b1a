// Which claimed units a snapshot of a stock level does not show yet.
import { describe, expect, it } from "vitest";
import { InFlightUnits } from "../../src/app/in-flight-units.js";

describe("InFlightUnits.pending", () => {
  const cases: { name: string; claims: { units: number; postVersion: number | null }[]; snapshotVersion: number; expected: number }[] = [
    { name: "counts nothing without claims", claims: [], snapshotVersion: 5, expected: 0 },
    { name: "counts a claim not yet written, whatever the snapshot", claims: [{ units: 7, postVersion: null }], snapshotVersion: 9, expected: 7 },
    { name: "counts a written claim in a snapshot from before its version", claims: [{ units: 7, postVersion: 6 }], snapshotVersion: 5, expected: 7 },
    { name: "leaves out a written claim in a snapshot at its version (it committed)", claims: [{ units: 7, postVersion: 6 }], snapshotVersion: 6, expected: 0 },
    { name: "leaves out a written claim in a snapshot after its version", claims: [{ units: 7, postVersion: 6 }], snapshotVersion: 8, expected: 0 },
    { name: "adds up the claims a snapshot does not show", claims: [{ units: 2, postVersion: 6 }, { units: 3, postVersion: 7 }, { units: 4, postVersion: null }], snapshotVersion: 6, expected: 7 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const units = new InFlightUnits();
      for (const claim of c.claims) {
        const made = units.claim("A", claim.units);
        if (claim.postVersion !== null) units.written(made, claim.postVersion);
      }
      expect(units.pending("A", c.snapshotVersion)).toBe(c.expected);
      expect(units.pending("B", c.snapshotVersion)).toBe(0);
    });
  }

  it("forgets released claims, and the stock levels left without claims", () => {
    const units = new InFlightUnits();
    const a = units.claim("A", 1);
    const b = units.claim("A", 2);
    const c = units.claim("B", 4);
    units.release([a, c]);
    expect([units.pending("A", 0), units.pending("B", 0), units.size]).toEqual([2, 0, 1]);
    units.release([b, b]);
    expect(units.size).toBe(0);
  });

  it("settles when every claim held on the levels at the time of asking is released, and at once when none is", async () => {
    const units = new InFlightUnits();
    await units.settledAll(["A"]);
    const a = units.claim("A", 1);
    const b = units.claim("B", 1);
    let done = false;
    const waiting = units.settledAll(["A", "B"]).then(() => (done = true));
    units.release([a]);
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    units.claim("A", 1); // a later claim is not waited for
    units.release([b]);
    await waiting;
    expect(done).toBe(true);
  });
});
