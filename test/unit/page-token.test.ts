import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken } from "../../src/core/page-token.js";
import { requestHash } from "../../src/core/request-hash.js";

describe("page tokens", () => {
  const filter = { orderId: "o1", sku: null, state: "ACTIVE" };
  it("round-trips the position for the same filters", () => {
    expect(decodePageToken(encodePageToken("42", filter), filter)).toEqual({ ok: true, value: "42" });
  });
  it("refuses a token used with other filters", () => {
    const result = decodePageToken(encodePageToken("42", filter), { ...filter, state: "RELEASED" });
    expect(result.ok ? null : result.failure.reason).toBe("PAGE_TOKEN_INVALID");
  });
  it.each(["garbage", "e30", Buffer.from('{"after":"x","filter":"y"}').toString("base64url")])("refuses the forged token %s", (token) => {
    const result = decodePageToken(token, filter);
    expect(result.ok ? null : result.failure.reason).toBe("PAGE_TOKEN_INVALID");
  });
});

describe("requestHash", () => {
  it("does not depend on key order", () => {
    expect(requestHash("M", { a: 1, b: [1, { c: 2, d: 3 }] })).toBe(requestHash("M", { b: [1, { d: 3, c: 2 }], a: 1 }));
  });
  it("differs between methods and between values", () => {
    expect(requestHash("M", { a: 1 })).not.toBe(requestHash("N", { a: 1 }));
    expect(requestHash("M", { a: 1 })).not.toBe(requestHash("M", { a: 2 }));
  });
});
