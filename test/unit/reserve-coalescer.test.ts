// The coalescer's batching, with a stand-in for the batch engine: which calls go together,
// which go at once, and what happens when a lane is full. No database: only the grouping.
import { describe, expect, it } from "vitest";
import type { ReserveCommand } from "../../src/core/commands.js";
import { laneOf, ReserveCoalescer } from "../../src/app/reserve-coalescer.js";
import { EventEmitter } from "node:events";
import { cancellationOf, cancellationSource } from "../../src/app/cancelled.js";
import type { BatchResult } from "../../src/app/reserve-batch.js";
import { ServiceError } from "../../src/core/failure.js";

const command = (sku: string, requestId = `${sku}-${Math.random()}`): ReserveCommand => ({
  requestId, orderId: requestId, customerId: "c", channel: "web", priority: "STANDARD", allowPartial: false, waitForStock: false, ttlMs: null,
  lines: [{ sku, quantity: 1, warehouseId: null }],
});

/** A batch engine that holds each batch until released, recording what it was given. */
function heldEngine() {
  const batches: string[][] = [];
  const waiting: (() => void)[] = [];
  const run = (commands: ReserveCommand[]): Promise<BatchResult[]> => {
    batches.push(commands.map((c) => c.requestId));
    return new Promise((resolve) => waiting.push(() => resolve(commands.map((c) => ({ ok: true, response: { reservation: { reservationId: c.requestId } as never } })))));
  };
  const releaseAll = async () => {
    while (waiting.length > 0) waiting.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { batches, run, releaseAll };
}

const isCancelled = (e: unknown) => e instanceof ServiceError && e.failure.reason === "CANCELLED";

/** For the tests of batching alone: no SKU ever gets a lane of its own. */
const noHotLanes = { hotSkuWaiting: Number.MAX_SAFE_INTEGER, hotLaneMax: 0 };

/** SKUs that fall in the given lane. */
function skusInLane(lane: number, laneCount: number, n: number): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < n; i++) if (laneOf(`SKU-${i}`, laneCount) === lane) found.push(`SKU-${i}`);
  return found;
}

describe("laneOf", () => {
  it.each([1, 2, 4, 7])("puts every SKU in one of %i lanes, always the same, and spreads 4,000 SKUs roughly evenly", (laneCount) => {
    const counts = new Array(laneCount).fill(0);
    for (let i = 0; i < 4000; i++) {
      const lane = laneOf(`SKU-${i}`, laneCount);
      expect(lane).toBe(laneOf(`SKU-${i}`, laneCount));
      counts[lane]++;
    }
    for (const c of counts) expect(Math.abs(c - 4000 / laneCount)).toBeLessThan(0.15 * (4000 / laneCount));
  });
});

describe("ReserveCoalescer", () => {
  it("sends a call to an idle lane at once, alone, and the calls that arrive meanwhile together in the next batch", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 100, queueMax: 1000, laneCount: 4, laneDepth: 1, ...noHotLanes });
    const [a, b, c] = skusInLane(0, 4, 3);
    const first = coalescer.submit(command(a!, "first"));
    expect(engine.batches).toEqual([["first"]]);
    const later = [coalescer.submit(command(b!, "second")), coalescer.submit(command(c!, "third")), coalescer.submit(command(a!, "fourth"))];
    expect(engine.batches).toHaveLength(1);
    await engine.releaseAll();
    expect(engine.batches).toEqual([["first"], ["second", "third", "fourth"]]);
    await engine.releaseAll();
    expect((await first).reservation?.reservationId).toBe("first");
    expect((await Promise.all(later)).map((r) => r.reservation?.reservationId)).toEqual(["second", "third", "fourth"]);
  });

  it("writes the batches of different lanes at the same time", () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 100, queueMax: 1000, laneCount: 4, laneDepth: 1, ...noHotLanes });
    for (let lane = 0; lane < 4; lane++) void coalescer.submit(command(skusInLane(lane, 4, 1)[0]!, `lane-${lane}`));
    expect(engine.batches.sort()).toEqual([["lane-0"], ["lane-1"], ["lane-2"], ["lane-3"]]);
  });

  it("with a lane depth of 2, sends a second call at once while the first is written, and the later ones together to whichever finishes first", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 100, queueMax: 1000, laneCount: 1, laneDepth: 2, ...noHotLanes });
    const calls = ["one", "two"].map((id) => coalescer.submit(command("SKU", id)));
    expect(engine.batches).toEqual([["one"], ["two"]]);
    calls.push(...["three", "four", "five"].map((id) => coalescer.submit(command("SKU", id))));
    expect(engine.batches).toHaveLength(2);
    await engine.releaseAll();
    expect(engine.batches).toEqual([["one"], ["two"], ["three", "four", "five"]]);
    await engine.releaseAll();
    expect((await Promise.all(calls)).map((r) => r.reservation?.reservationId)).toEqual(["one", "two", "three", "four", "five"]);
  });

  it("splits a long queue into batches of at most batchMax, in arrival order", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 2, queueMax: 1000, laneCount: 1, laneDepth: 1, ...noHotLanes });
    const calls = ["a", "b", "c", "d", "e", "f"].map((id) => coalescer.submit(command("SKU", id)));
    for (let i = 0; i < 4; i++) await engine.releaseAll();
    expect(engine.batches).toEqual([["a"], ["b", "c"], ["d", "e"], ["f"]]);
    expect(await Promise.all(calls)).toHaveLength(6);
  });

  it("refuses a call with OVERLOADED when its lane already has queueMax calls waiting, and serves the others", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 10, queueMax: 2, laneCount: 1, laneDepth: 1, ...noHotLanes });
    // The running batch has left the queue; two more calls wait, and the third is one too many.
    const accepted = ["running", "w1", "w2"].map((id) => coalescer.submit(command("SKU", id)));
    const refused = coalescer.submit(command("SKU", "w3"));
    await expect(refused).rejects.toSatisfy((e: unknown) => e instanceof ServiceError && e.failure.reason === "OVERLOADED");
    for (let i = 0; i < 2; i++) await engine.releaseAll();
    expect(await Promise.all(accepted)).toHaveLength(3);
    expect(engine.batches).toEqual([["running"], ["w1", "w2"]]);
  });

  it("answers a waiting call CANCELLED when it is cancelled, and leaves it out of the next batch; a call already in a batch is not affected", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 10, queueMax: 100, laneCount: 1, laneDepth: 1, ...noHotLanes });
    const inBatch = cancellationSource();
    const waiting = cancellationSource();
    const running = coalescer.submit(command("SKU", "running"), inBatch.cancellation);
    const given = coalescer.submit(command("SKU", "given-up"), waiting.cancellation);
    const kept = coalescer.submit(command("SKU", "kept"));
    inBatch.cancel();
    waiting.cancel();
    await expect(given).rejects.toSatisfy(isCancelled);
    for (let i = 0; i < 2; i++) await engine.releaseAll();
    expect((await running).reservation?.reservationId).toBe("running");
    expect((await kept).reservation?.reservationId).toBe("kept");
    expect(engine.batches).toEqual([["running"], ["kept"]]);
  });

  it("refuses a call already cancelled without queueing it, and skips a batch left with no live call", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 10, queueMax: 1, laneCount: 1, laneDepth: 1, ...noHotLanes });
    const already = cancellationSource();
    already.cancel();
    await expect(coalescer.submit(command("SKU", "late"), already.cancellation)).rejects.toSatisfy(isCancelled);
    const running = coalescer.submit(command("SKU", "running"));
    const waiting = cancellationSource();
    const given = coalescer.submit(command("SKU", "given-up"), waiting.cancellation);
    waiting.cancel();
    await expect(given).rejects.toSatisfy(isCancelled);
    await engine.releaseAll();
    await running;
    expect(engine.batches).toEqual([["running"]]);
    // The lane is idle again: the next call goes at once.
    const next = coalescer.submit(command("SKU", "next"));
    await engine.releaseAll();
    expect((await next).reservation?.reservationId).toBe("next");
    expect(engine.batches).toEqual([["running"], ["next"]]);
  });

  it("stops listening once a call's batch starts: its cancellation after its answer changes nothing", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 10, queueMax: 1, laneCount: 1, laneDepth: 1, ...noHotLanes });
    const call = Object.assign(new EventEmitter(), { cancelled: false });
    const running = coalescer.submit(command("SKU", "running"));
    const queued = coalescer.submit(command("SKU", "queued"), cancellationOf(call));
    expect(call.listenerCount("cancelled")).toBe(1);
    await engine.releaseAll();
    expect(engine.batches).toEqual([["running"], ["queued"]]);
    expect(call.listenerCount("cancelled"), "still listening after the batch started").toBe(0);
    await engine.releaseAll();
    await Promise.all([running, queued]);
    call.cancelled = true;
    call.emit("cancelled");
    // The lane's count is whole: a full queue's worth of calls still fits.
    const next = [coalescer.submit(command("SKU", "next-1")), coalescer.submit(command("SKU", "next-2"))];
    for (let i = 0; i < 2; i++) await engine.releaseAll();
    expect((await Promise.all(next)).map((r) => r.reservation?.reservationId)).toEqual(["next-1", "next-2"]);
  });

  it("gives a cancelled call's place in its lane back at once: a call refused for a full lane fits after it", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 10, queueMax: 1, laneCount: 1, laneDepth: 1, ...noHotLanes });
    const running = coalescer.submit(command("SKU", "running"));
    const waiting = cancellationSource();
    const given = coalescer.submit(command("SKU", "given-up"), waiting.cancellation);
    await expect(coalescer.submit(command("SKU", "too-many"))).rejects.toSatisfy((e: unknown) => e instanceof ServiceError && e.failure.reason === "OVERLOADED");
    waiting.cancel();
    await expect(given).rejects.toSatisfy(isCancelled);
    const fits = coalescer.submit(command("SKU", "fits"));
    for (let i = 0; i < 2; i++) await engine.releaseAll();
    expect((await Promise.all([running, fits])).map((r) => r.reservation?.reservationId)).toEqual(["running", "fits"]);
    expect(engine.batches).toEqual([["running"], ["fits"]]);
  });

  it("gives every caller of a batch the engine's error when the batch fails, and goes on with the next batch", async () => {
    let calls = 0;
    const coalescer = new ReserveCoalescer(async (commands) => {
      calls++;
      if (calls === 2) throw new Error("database gone");
      return commands.map((c) => ({ ok: true as const, response: { reservation: { reservationId: c.requestId } as never } }));
    }, { batchMax: 10, queueMax: 100, laneCount: 1, laneDepth: 1, ...noHotLanes });
    const first = coalescer.submit(command("SKU", "one"));
    const failing = [coalescer.submit(command("SKU", "two")), coalescer.submit(command("SKU", "three"))];
    await first;
    for (const f of failing) await expect(f).rejects.toThrow("database gone");
    expect((await coalescer.submit(command("SKU", "four"))).reservation?.reservationId).toBe("four");
  });

  describe("a SKU with many calls waiting (a flash sale)", () => {
    const hot = { batchMax: 100, queueMax: 1000, laneCount: 1, laneDepth: 1, hotSkuWaiting: 3, hotLaneMax: 1 };

    it("gets a lane of its own, so the other SKUs of its shared lane go in batches without it", async () => {
      const engine = heldEngine();
      const coalescer = new ReserveCoalescer(engine.run, hot);
      const calls = [coalescer.submit(command("OTHER", "o-running"))];
      // Queued behind the running batch: one call for OTHER, then HOT's third waiting call moves
      // HOT's calls out, and they go at once in a lane of their own.
      calls.push(coalescer.submit(command("HOT", "h1")), coalescer.submit(command("OTHER", "o1")), coalescer.submit(command("HOT", "h2")));
      expect(engine.batches).toEqual([["o-running"]]);
      calls.push(coalescer.submit(command("HOT", "h3")));
      expect(engine.batches).toEqual([["o-running"], ["h1", "h2", "h3"]]);
      calls.push(coalescer.submit(command("HOT", "h4")), coalescer.submit(command("OTHER", "o2")));
      for (let i = 0; i < 3; i++) await engine.releaseAll();
      expect(engine.batches).toEqual([["o-running"], ["h1", "h2", "h3"], ["o1", "o2"], ["h4"]]);
      expect((await Promise.all(calls)).map((r) => r.reservation?.reservationId)).toEqual(["o-running", "h1", "o1", "h2", "h3", "h4", "o2"]);
    });

    it("counts only calls still waiting towards a lane of its own, and leaves cancelled ones behind when it moves", async () => {
      const engine = heldEngine();
      const coalescer = new ReserveCoalescer(engine.run, hot);
      const running = coalescer.submit(command("OTHER", "o-running"));
      const given = [cancellationSource(), cancellationSource()];
      const gaveUp = given.map((c, i) => coalescer.submit(command("HOT", `h-given-${i}`), c.cancellation));
      for (const c of given) c.cancel();
      for (const g of gaveUp) await expect(g).rejects.toSatisfy(isCancelled);
      // Two cancelled and two waiting: not yet the 3 that give HOT a lane of its own.
      const live = [coalescer.submit(command("HOT", "h1")), coalescer.submit(command("HOT", "h2"))];
      expect(engine.batches).toEqual([["o-running"]]);
      live.push(coalescer.submit(command("HOT", "h3")));
      expect(engine.batches).toEqual([["o-running"], ["h1", "h2", "h3"]]);
      for (let i = 0; i < 2; i++) await engine.releaseAll();
      expect((await Promise.all([running, ...live])).map((r) => r.reservation?.reservationId)).toEqual(["o-running", "h1", "h2", "h3"]);
      expect(engine.batches).toEqual([["o-running"], ["h1", "h2", "h3"]]);
    });

    it("has a queue limit of its own: OVERLOADED for the hot SKU leaves room for the others", async () => {
      const engine = heldEngine();
      const coalescer = new ReserveCoalescer(engine.run, { ...hot, queueMax: 4 });
      const accepted = ["h0", "h1", "h2", "h3"].map((id) => coalescer.submit(command("HOT", id)));
      // h0 runs in the shared lane; h1-h3 moved to HOT's own lane, running h1-h3 there.
      const more = ["h4", "h5", "h6", "h7"].map((id) => coalescer.submit(command("HOT", id)));
      const refused = coalescer.submit(command("HOT", "h8"));
      await expect(refused).rejects.toSatisfy((e: unknown) => e instanceof ServiceError && e.failure.reason === "OVERLOADED");
      const others = ["o1", "o2", "o3", "o4"].map((id) => coalescer.submit(command("OTHER", id)));
      for (let i = 0; i < 3; i++) await engine.releaseAll();
      expect(await Promise.all([...accepted, ...more, ...others])).toHaveLength(12);
    });

    it("goes back to its shared lane once its own lane has nothing left to write", async () => {
      const engine = heldEngine();
      const coalescer = new ReserveCoalescer(engine.run, hot);
      const calls = ["h0", "h1", "h2", "h3"].map((id) => coalescer.submit(command("HOT", id)));
      for (let i = 0; i < 2; i++) await engine.releaseAll();
      await Promise.all(calls);
      // Both lanes are idle and forgotten: HOT and OTHER share a lane, and a batch, again.
      const blocker = coalescer.submit(command("OTHER", "o-running"));
      const next = [coalescer.submit(command("HOT", "h4")), coalescer.submit(command("OTHER", "o1"))];
      for (let i = 0; i < 2; i++) await engine.releaseAll();
      await Promise.all([blocker, ...next]);
      expect(engine.batches.slice(-2)).toEqual([["o-running"], ["h4", "o1"]]);
    });

    it("gives at most hotLaneMax SKUs a lane of their own; a further hot SKU stays in its shared lane", async () => {
      const engine = heldEngine();
      const coalescer = new ReserveCoalescer(engine.run, hot);
      const calls = [coalescer.submit(command("OTHER", "o-running"))];
      calls.push(...["a1", "a2", "a3"].map((id) => coalescer.submit(command("HOT-A", id))));
      calls.push(...["b1", "b2", "b3", "b4"].map((id) => coalescer.submit(command("HOT-B", id))));
      expect(engine.batches).toEqual([["o-running"], ["a1", "a2", "a3"]]);
      for (let i = 0; i < 2; i++) await engine.releaseAll();
      expect(engine.batches).toEqual([["o-running"], ["a1", "a2", "a3"], ["b1", "b2", "b3", "b4"]]);
      await Promise.all(calls);
    });
  });
});
