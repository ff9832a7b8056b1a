// A call's cancellation: listeners hear of it once, not after they stop listening, and a late
// listener can tell from `cancelled` that it came too late.
import { describe, expect, it } from "vitest";
import { cancellationSource } from "../../src/app/cancelled.js";

describe("cancellationSource", () => {
  it("calls each listener once, not those that stopped listening, and reports the call as cancelled", () => {
    const source = cancellationSource();
    const heard: string[] = [];
    source.cancellation.onCancel(() => heard.push("a"));
    const stop = source.cancellation.onCancel(() => heard.push("b"));
    stop();
    expect(source.cancellation.cancelled).toBe(false);
    source.cancel();
    source.cancel();
    expect(heard).toEqual(["a"]);
    expect(source.cancellation.cancelled).toBe(true);
  });
});
