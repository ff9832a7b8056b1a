// The coalescer's batching, with a stand-in for the batch engine: which calls go together,
// which go at once, and what happens when a lane is full. No database: only the grouping.
import { describe, expect, it } from "vitest";
import type { ReserveCommand } from "../../src/core/commands.js";
import { laneOf, ReserveCoalescer } from "../../src/app/reserve-coalescer.js";
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
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 100, queueMax: 1000, laneCount: 4, laneDepth: 1 });
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
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 100, queueMax: 1000, laneCount: 4, laneDepth: 1 });
    for (let lane = 0; lane < 4; lane++) void coalescer.submit(command(skusInLane(lane, 4, 1)[0]!, `lane-${lane}`));
    expect(engine.batches.sort()).toEqual([["lane-0"], ["lane-1"], ["lane-2"], ["lane-3"]]);
  });

  it("with a lane depth of 2, sends a second call at once while the first is written, and the later ones together to whichever finishes first", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 100, queueMax: 1000, laneCount: 1, laneDepth: 2 });
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
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 2, queueMax: 1000, laneCount: 1, laneDepth: 1 });
    const calls = ["a", "b", "c", "d", "e", "f"].map((id) => coalescer.submit(command("SKU", id)));
    for (let i = 0; i < 4; i++) await engine.releaseAll();
    expect(engine.batches).toEqual([["a"], ["b", "c"], ["d", "e"], ["f"]]);
    expect(await Promise.all(calls)).toHaveLength(6);
  });

  it("refuses a call with OVERLOADED when its lane already has queueMax calls waiting, and serves the others", async () => {
    const engine = heldEngine();
    const coalescer = new ReserveCoalescer(engine.run, { batchMax: 10, queueMax: 2, laneCount: 1, laneDepth: 1 });
    // The running batch has left the queue; two more calls wait, and the third is one too many.
    const accepted = ["running", "w1", "w2"].map((id) => coalescer.submit(command("SKU", id)));
    const refused = coalescer.submit(command("SKU", "w3"));
    await expect(refused).rejects.toSatisfy((e: unknown) => e instanceof ServiceError && e.failure.reason === "OVERLOADED");
    for (let i = 0; i < 2; i++) await engine.releaseAll();
    expect(await Promise.all(accepted)).toHaveLength(3);
    expect(engine.batches).toEqual([["running"], ["w1", "w2"]]);
  });

  it("gives every caller of a batch the engine's error when the batch fails, and goes on with the next batch", async () => {
    let calls = 0;
    const coalescer = new ReserveCoalescer(async (commands) => {
      calls++;
      if (calls === 2) throw new Error("database gone");
      return commands.map((c) => ({ ok: true as const, response: { reservation: { reservationId: c.requestId } as never } }));
    }, { batchMax: 10, queueMax: 100, laneCount: 1, laneDepth: 1 });
    const first = coalescer.submit(command("SKU", "one"));
    const failing = [coalescer.submit(command("SKU", "two")), coalescer.submit(command("SKU", "three"))];
    await first;
    for (const f of failing) await expect(f).rejects.toThrow("database gone");
    expect((await coalescer.submit(command("SKU", "four"))).reservation?.reservationId).toBe("four");
  });
});
