// A pool of one connection, a slow query (a stock row locked by another session) and short client
// deadlines: calls fail cleanly, nothing is half-written, and a call whose client gave up but whose
// transaction committed is found again by its request_id.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import type { ReserveRequest, ReserveResponse } from "../../src/gen/inventory/v1/reservation_service.js";
import { newRequestId, Priority, unique } from "../support/fixtures.js";
import { noViolations } from "../support/invariants.js";
import { checkReserveBooks } from "../support/faults/books.js";
import { connect, settle, start, type Clients, type InFlight, type Outcome } from "../support/faults/clients.js";
import { cloneTemplateDatabase, halfWritten, lockStockRows, onRealPostgres, type FaultDatabase } from "../support/faults/database.js";
import { tally, type ReserveEntry } from "../support/faults/load.js";
import { freePort, sleep, startService, waitUntil, type ServiceProcess } from "../support/faults/process.js";
import { laneOf } from "../../src/app/reserve-coalescer.js";
import { coalesceLaneCount } from "../../src/limits.js";

const real = onRealPostgres();
if (!real) console.log("test/faults/pool-deadlines: skipped, it needs a real PostgreSQL server (set DATABASE_URL)");

let db: FaultDatabase;
let service: ServiceProcess;
let c: Clients;
const warehouseId = unique("wh-pool");
const slow = unique("SLOW");
const free = unique("FREE");
// One SKU per queued call, each in a lane of the coalescer of its own (not the slow SKU's), so each
// waits at the pool itself rather than behind another call in its lane.
const others = (() => {
  const lanes = new Set([laneOf(slow, coalesceLaneCount)]);
  const picked: string[] = [];
  while (lanes.size < coalesceLaneCount) {
    const sku = unique("OTHER");
    if (lanes.has(laneOf(sku, coalesceLaneCount))) continue;
    lanes.add(laneOf(sku, coalesceLaneCount));
    picked.push(sku);
  }
  return picked;
})();

const reserveOf = (sku: string, quantity = 1): ReserveEntry => {
  const request: ReserveRequest = {
    requestId: newRequestId(), orderId: unique("pool"), customerId: "", channel: "", priority: Priority.PRIORITY_STANDARD,
    allowPartial: false, waitForStock: false, lines: [{ sku, quantity: String(quantity), warehouseId }],
  };
  return { method: "Reserve", request, outcomes: [] };
};
const startReserve = (entry: ReserveEntry, deadlineMs: number): InFlight<ReserveResponse> => {
  const inFlight = start<ReserveResponse>((md, o, cb) => c.reservations.reserve(entry.request, md, o, cb), deadlineMs);
  void inFlight.outcome.then((o) => entry.outcomes.push(o));
  return inFlight;
};
const rowsOf = async (entries: ReserveEntry[]) => {
  const ids = entries.map((e) => e.request.requestId);
  const [row] = await db.query<{ reservations: number; answers: number; ledger: number }>(
    `SELECT (SELECT count(*)::int FROM reservation WHERE request_id = ANY($1)) AS reservations,
            (SELECT count(*)::int FROM idempotency_key WHERE request_id = ANY($1)) AS answers,
            (SELECT count(*)::int FROM ledger_entry WHERE request_id = ANY($1)) AS ledger`, [ids]);
  return row!;
};
/** The service has worked through every call queued before this one: the pool hands out its one connection in order. */
const drained = () =>
  waitUntil(async () => (await settle((md, o, cb) => c.inventory.getAvailability({ sku: free, warehouseId: "" }, md, o, cb), 20_000)).ok, 30_000);

describe.skipIf(!real)("pool of one connection, a slow query, client deadlines", () => {
  beforeAll(async () => {
    db = await cloneTemplateDatabase();
    service = await startService({ databaseUrl: db.url, port: await freePort(), poolSize: 1 });
    c = connect(service.address);
    expect((await settle((md, o, cb) => c.inventory.createWarehouse({ warehouseId, displayName: "pool", region: "test" }, md, o, cb))).ok).toBe(true);
    for (const sku of [slow, free, ...others]) {
      expect((await settle((md, o, cb) => c.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: "1000" }, md, o, cb))).ok).toBe(true);
    }
  });
  afterAll(async () => {
    c?.close();
    await service?.dispose();
    await db?.close();
  });

  it("calls behind a locked row fail DEADLINE_EXCEEDED or CANCELLED, write nothing meanwhile, and a committed one is found by request_id", { timeout: 60_000 }, async () => {
    const lock = await lockStockRows(db, slow);
    const entries: ReserveEntry[] = [];
    let cancelled: InFlight<ReserveResponse> | null = null;
    try {
      // The first takes the pool's one connection and waits on the row lock; the rest wait for it.
      const first = reserveOf(slow);
      entries.push(first);
      const calls = [startReserve(first, 600)];
      await sleep(100);
      for (let i = 0; i < 12; i++) {
        const e = reserveOf(i % 3 === 0 ? free : slow, 1 + (i % 2));
        entries.push(e);
        calls.push(startReserve(e, 300 + 50 * i));
      }
      // And one whose client gives up by itself.
      const gaveUp = reserveOf(slow, 2);
      entries.push(gaveUp);
      cancelled = startReserve(gaveUp, 30_000);
      const reads = Array.from({ length: 3 }, () => settle((md, o, cb) => c.inventory.getAvailability({ sku: slow, warehouseId }, md, o, cb), 400));
      await sleep(200);
      cancelled.call.cancel();
      calls.push(cancelled);

      const outcomes = await Promise.all(calls.map((x) => x.outcome));
      expect(outcomes.map((o) => (o.ok ? "OK" : status[o.code]))).toEqual([...Array(13).fill("DEADLINE_EXCEEDED"), "CANCELLED"]);
      for (const r of await Promise.all(reads)) expect(r.ok ? "OK" : status[r.code]).toBe("DEADLINE_EXCEEDED");
      // While the lock holds, nothing of theirs is visible: no reservation, no stored answer, no ledger entry.
      expect(await rowsOf(entries)).toEqual({ reservations: 0, answers: 0, ledger: 0 });
      expect(await halfWritten(db)).toEqual([]);
      expect(await db.invariants()).toEqual(noViolations);
    } finally {
      await lock.release();
    }

    expect(await drained(), "the service works through the queue once the lock is gone").toBe(true);
    // The service carried on after the clients gave up: their transactions may have committed.
    const committed = await rowsOf(entries);
    const summary = await checkReserveBooks(db, c, entries);
    expect(summary.unanswered).toBe(entries.length);
    expect(summary.committedUnanswered).toBe(committed.reservations);
    expect(await db.invariants()).toEqual(noViolations);
    console.log(`pool-deadlines: ${entries.length} calls gave up, ${committed.reservations} had committed anyway, retries ${JSON.stringify(tally(entries))}`);
  });

  it("a call that cannot get a connection within the pool's acquire timeout fails UNAVAILABLE and writes nothing", { timeout: 60_000 }, async () => {
    const lock = await lockStockRows(db, slow);
    const blocked = reserveOf(slow);
    const queued = others.map((sku) => reserveOf(sku));
    let outcomes: Outcome<ReserveResponse>[] = [];
    try {
      const holder = startReserve(blocked, 40_000);
      await sleep(100);
      const waiting = queued.map((e) => startReserve(e, 40_000));
      // The pool's acquire timeout (10 s, src/db/orm.ts) passes while the lock is held.
      outcomes = await Promise.all(waiting.map((w) => w.outcome));
      expect(await rowsOf([...queued, blocked])).toEqual({ reservations: 0, answers: 0, ledger: 0 });
      await lock.release();
      const held = await holder.outcome;
      expect(held.ok, "the call that held the connection completes once the lock goes").toBe(true);
    } finally {
      await lock.release();
    }
    for (const o of outcomes) {
      expect(o.ok).toBe(false);
      if (o.ok) continue;
      expect(["UNAVAILABLE", "RESOURCE_EXHAUSTED"]).toContain(status[o.code]);
      expect(o.reason, `${status[o.code]}: ${o.details}`).not.toBeNull();
    }
    expect(await rowsOf(queued)).toEqual({ reservations: 0, answers: 0, ledger: 0 });
    const summary = await checkReserveBooks(db, c, [blocked, ...queued]);
    expect(summary).toMatchObject({ answered: 1, unanswered: queued.length, committedUnanswered: 0 });
  });
});
