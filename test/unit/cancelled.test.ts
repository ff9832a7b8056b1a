// A call's cancellation: listeners hear of it once, not after they stop listening, and a late
// listener can tell from `cancelled` that it came too late.
import { describe, expect, it } from "vitest";
import { EventEmitter } from "node:events";
import { cancellationOf, cancellationSource } from "../../src/app/cancelled.js";

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

  it("hears a call's emitter once even when it reports the call cancelled twice, and reads its flag", () => {
    const call = Object.assign(new EventEmitter(), { cancelled: false });
    const cancellation = cancellationOf(call);
    let heard = 0;
    cancellation.onCancel(() => heard++);
    call.cancelled = true;
    call.emit("cancelled");
    call.emit("cancelled");
    expect(heard).toBe(1);
    expect(cancellation.cancelled).toBe(true);
    expect(call.listenerCount("cancelled")).toBe(0);
  });
});
