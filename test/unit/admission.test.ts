// Admission of the calls that take a connection each: how many run, which wait, in what order,
// and which are refused. No database: work is a promise the test settles.
import { describe, expect, it } from "vitest";
import { Admission } from "../../src/app/admission.js";
import { EventEmitter } from "node:events";
import { cancellationOf, cancellationSource } from "../../src/app/cancelled.js";
import { ServiceError } from "../../src/core/failure.js";

/** Work that records its start and finishes (or fails) when the test says. */
function heldWork() {
  const started: number[] = [];
  const finish = new Map<number, { resolve(v: number): void; reject(e: unknown): void }>();
  const work = (id: number) => () => {
    started.push(id);
    return new Promise<number>((resolve, reject) => finish.set(id, { resolve, reject }));
  };
  return { started, work, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("Admission", () => {
  it.each([
    { runningMax: 1, waitingRequestsMax: 0, requests: [1, 1], running: 1, waiting: 0, refused: [1] },
    { runningMax: 2, waitingRequestsMax: 3, requests: [1, 1, 1, 1, 1], running: 2, waiting: 3, refused: [] },
    { runningMax: 2, waitingRequestsMax: 3, requests: [1, 1, 1, 1, 1, 1, 1], running: 2, waiting: 3, refused: [5, 6] },
    { runningMax: 4, waitingRequestsMax: 64, requests: [1, 1, 1], running: 3, waiting: 0, refused: [] },
    // Weighed by requests: a call too heavy for what is left is refused, a lighter one after it waits.
    { runningMax: 1, waitingRequestsMax: 100, requests: [1000, 90, 20, 10], running: 1, waiting: 2, refused: [2] },
    { runningMax: 1, waitingRequestsMax: 100, requests: [1, 101], running: 1, waiting: 0, refused: [1] },
    // A call of no requests weighs 1: the bound holds for those too.
    { runningMax: 1, waitingRequestsMax: 2, requests: [1, 0, 0, 0], running: 1, waiting: 2, refused: [3] },
  ])("with $runningMax running and $waitingRequestsMax requests waiting at most, calls of $requests requests: $running run, $waiting wait, $refused are refused",
    async ({ runningMax, waitingRequestsMax, requests, running, waiting, refused }) => {
      const gate = new Admission("test calls", { runningMax, waitingRequestsMax });
      const held = heldWork();
      const outcomes = requests.map((n, i) => gate.run(n, held.work(i)).then(() => "done", (e: unknown) => e));
      await tick();
      expect(gate.load()).toMatchObject({ running, waiting });
      expect(held.started).toEqual(Array.from({ length: running }, (_, i) => i));
      // Let everything through: each finished call lets the next one in.
      for (let i = 0; i < requests.length; i++) {
        held.finish.get(i)?.resolve(i);
        await tick();
      }
      const settled = await Promise.all(outcomes);
      expect(settled.flatMap((o, i) => (o instanceof ServiceError ? [i] : []))).toEqual(refused);
      for (const o of settled) if (o instanceof ServiceError) expect(o.failure).toMatchObject({ reason: "OVERLOADED", metadata: { running: String(runningMax) } });
      expect(gate.load()).toEqual({ running: 0, waiting: 0, waitingRequests: 0 });
    });

  it("lets waiting calls in one at a time, in arrival order, as running ones finish or fail", async () => {
    const gate = new Admission("test calls", { runningMax: 2, waitingRequestsMax: 10 });
    const held = heldWork();
    const outcomes = [0, 1, 2, 3, 4].map((i) => gate.run(2, held.work(i)).then((v) => v, (e: unknown) => (e as Error).message));
    await tick();
    expect(held.started).toEqual([0, 1]);
    expect(gate.load()).toEqual({ running: 2, waiting: 3, waitingRequests: 6 });
    held.finish.get(1)!.reject(new Error("failed"));
    await tick();
    expect(held.started).toEqual([0, 1, 2]);
    held.finish.get(0)!.resolve(0);
    await tick();
    expect(held.started).toEqual([0, 1, 2, 3]);
    expect(gate.load()).toEqual({ running: 2, waiting: 1, waitingRequests: 2 });
    for (const i of [2, 3]) held.finish.get(i)!.resolve(i);
    await tick();
    held.finish.get(4)!.resolve(4);
    expect(await Promise.all(outcomes)).toEqual([0, "failed", 2, 3, 4]);
    expect(gate.load()).toEqual({ running: 0, waiting: 0, waitingRequests: 0 });
  });

  it("drops a waiting call that is cancelled: it never runs, its requests leave the bound, and the next live call takes the place", async () => {
    const gate = new Admission("test calls", { runningMax: 1, waitingRequestsMax: 3 });
    const held = heldWork();
    const abandon = cancellationSource();
    const outcome = (call: Promise<number>) => call.then((v) => v, (e: unknown) => (e instanceof ServiceError ? e.failure.reason : e));
    const a = outcome(gate.run(1, held.work(0)));
    const b = outcome(gate.run(2, held.work(1), abandon.cancellation));
    const c = outcome(gate.run(1, held.work(2)));
    await tick();
    expect(gate.load()).toEqual({ running: 1, waiting: 2, waitingRequests: 3 });
    expect(await outcome(gate.run(1, held.work(3)))).toBe("OVERLOADED");
    abandon.cancel();
    expect(await b).toBe("CANCELLED");
    expect(gate.load()).toEqual({ running: 1, waiting: 1, waitingRequests: 1 });
    // The requests it held are free again: a call of 2 fits now.
    const e = outcome(gate.run(2, held.work(4)));
    await tick();
    expect(gate.load()).toEqual({ running: 1, waiting: 2, waitingRequests: 3 });
    held.finish.get(0)!.resolve(0);
    await tick();
    held.finish.get(2)!.resolve(2);
    await tick();
    held.finish.get(4)!.resolve(4);
    expect(await Promise.all([a, c, e])).toEqual([0, 2, 4]);
    expect(held.started).toEqual([0, 2, 4]);
    expect(gate.load()).toEqual({ running: 0, waiting: 0, waitingRequests: 0 });
  });

  it("lets a running call finish when it is cancelled, and refuses a call already cancelled without queueing or running it", async () => {
    const gate = new Admission("test calls", { runningMax: 1, waitingRequestsMax: 10 });
    const held = heldWork();
    const running = cancellationSource();
    const a = gate.run(1, held.work(0), running.cancellation);
    await tick();
    running.cancel();
    const already = cancellationSource();
    already.cancel();
    await expect(gate.run(1, held.work(1), already.cancellation)).rejects.toSatisfy((e: unknown) => e instanceof ServiceError && e.failure.reason === "CANCELLED");
    // Refused even with a place free.
    const idle = new Admission("test calls", { runningMax: 1, waitingRequestsMax: 10 });
    await expect(idle.run(1, held.work(2), already.cancellation)).rejects.toSatisfy((e: unknown) => e instanceof ServiceError && e.failure.reason === "CANCELLED");
    expect(gate.load()).toEqual({ running: 1, waiting: 0, waitingRequests: 0 });
    held.finish.get(0)!.resolve(7);
    expect(await a).toBe(7);
    expect(held.started).toEqual([0]);
    expect(gate.load()).toEqual({ running: 0, waiting: 0, waitingRequests: 0 });
  });

  it("keeps a queue of many cancelled calls compact, and still lets in the live ones in order", async () => {
    const gate = new Admission("test calls", { runningMax: 1, waitingRequestsMax: 100_000 });
    const held = heldWork();
    const first = gate.run(1, held.work(0));
    const cancelledOnes = Array.from({ length: 1_000 }, (_, i) => {
      const c = cancellationSource();
      return { c, call: gate.run(1, held.work(1 + i), c.cancellation).catch((e: unknown) => e) };
    });
    const live = gate.run(1, held.work(5_000));
    for (const { c } of cancelledOnes) c.cancel();
    for (const { call } of cancelledOnes) expect(await call).toSatisfy((e: unknown) => e instanceof ServiceError && e.failure.reason === "CANCELLED");
    expect(gate.load()).toEqual({ running: 1, waiting: 1, waitingRequests: 1 });
    expect((gate as unknown as { waiting: unknown[] }).waiting.length, "cancelled calls were left in the queue").toBeLessThanOrEqual(2);
    held.finish.get(0)!.resolve(0);
    await tick();
    held.finish.get(5_000)!.resolve(5_000);
    expect(await Promise.all([first, live])).toEqual([0, 5_000]);
    expect(held.started).toEqual([0, 5_000]);
  });

  it("stops listening once a waiting call is let in: its cancellation after its answer (as grpc-js reports every call) changes nothing", async () => {
    const gate = new Admission("test calls", { runningMax: 1, waitingRequestsMax: 10 });
    const held = heldWork();
    const call = Object.assign(new EventEmitter(), { cancelled: false });
    const first = gate.run(1, held.work(0));
    const queued = gate.run(3, held.work(1), cancellationOf(call));
    await tick();
    expect(call.listenerCount("cancelled")).toBe(1);
    held.finish.get(0)!.resolve(0);
    await tick();
    expect(call.listenerCount("cancelled"), "still listening after the call was let in").toBe(0);
    held.finish.get(1)!.resolve(1);
    expect(await Promise.all([first, queued])).toEqual([0, 1]);
    call.cancelled = true;
    call.emit("cancelled");
    expect(gate.load()).toEqual({ running: 0, waiting: 0, waitingRequests: 0 });
  });
});
