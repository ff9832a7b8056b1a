// The request hash tells a retry from a reused request id, against hashes stored long ago: its
// canonical JSON must give exactly what the first definition gave, for any value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, requestHash } from "../../src/core/request-hash.js";

/** The first definition, as it produced the hashes already stored. */
function firstCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(firstCanonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${firstCanonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null), fc.constant(undefined), fc.boolean(), fc.integer(), fc.double(), fc.string({ unit: "binary" }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("value"), { maxKeys: 5 }),
  ),
})).value;

describe("canonicalJson", () => {
  it("gives exactly what the first definition gave, for any JSON-like value", () => {
    fc.assert(fc.property(values, (v) => {
      expect(canonicalJson(v)).toBe(firstCanonicalJson(v));
    }), { numRuns: 2000 });
  });

  it.each([
    ["keys in code-unit order, undefined members left out", { b: 1, a: [1, undefined, "x"], c: undefined, B: null }, '{"B":null,"a":[1,,"x"],"b":1}'],
    ["numeric-looking keys sorted as strings", { 10: "x", 9: "y", a: 1 }, '{"10":"x","9":"y","a":1}'],
    ["a nested command", { requestId: "r", lines: [{ sku: "S", quantity: 2 }] }, '{"lines":[{"quantity":2,"sku":"S"}],"requestId":"r"}'],
  ])("%s", (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it("hashes a command to the same hex digest as before", () => {
    // Computed with the first definition: a hash stored before any rewrite must still match its retry.
    expect(requestHash("Reserve", { requestId: "r-1", lines: [{ sku: "SKU-1", quantity: 1 }] }))
      .toBe("1e75b090961100701c5179410324878d2fa8b2f7c2e797e44a83c00d09d810ac");
  });
});
