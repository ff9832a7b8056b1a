// SIGTERM with calls in flight (some blocked on a row lock this test holds): the server stops
// accepting, reports NOT_SERVING, drains the in-flight calls to their answers, closes the pool and
// exits 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import type { ReserveRequest, ReserveResponse } from "../../src/gen/inventory/v1/reservation_service.js";
import { newRequestId, Priority, unique } from "../support/fixtures.js";
import { checkReserveBooks } from "../support/faults/books.js";
import { connect, healthWatch, settle, start, type Clients, type InFlight } from "../support/faults/clients.js";
import { cloneTemplateDatabase, lockStockRows, onRealPostgres, testApplicationName, type FaultDatabase } from "../support/faults/database.js";
import type { ReserveEntry } from "../support/faults/load.js";
import { freePort, sleep, startService, waitUntil, type ServiceProcess } from "../support/faults/process.js";
import { shutdownDrainMsMax } from "../../src/limits.js";

const real = onRealPostgres();
if (!real) console.log("test/faults/graceful-shutdown: skipped, it needs a real PostgreSQL server (set DATABASE_URL)");

let db: FaultDatabase;
let service: ServiceProcess;
const opened: Clients[] = [];
const warehouseId = unique("wh-term");
const slow = unique("SLOW");
const free = unique("FREE");

const reserveOf = (sku: string): ReserveEntry => {
  const request: ReserveRequest = {
    requestId: newRequestId(), orderId: unique("term"), customerId: "", channel: "", priority: Priority.PRIORITY_STANDARD,
    allowPartial: false, waitForStock: false, lines: [{ sku, quantity: "1", warehouseId }],
  };
  return { method: "Reserve", request, outcomes: [] };
};
const startReserve = (c: Clients, entry: ReserveEntry, deadlineMs = 30_000): InFlight<ReserveResponse> => {
  const inFlight = start<ReserveResponse>((md, o, cb) => c.reservations.reserve(entry.request, md, o, cb), deadlineMs);
  void inFlight.outcome.then((o) => entry.outcomes.push(o));
  return inFlight;
};
const open = (address: string) => {
  const c = connect(address);
  opened.push(c);
  return c;
};

describe.skipIf(!real)("graceful shutdown on SIGTERM", () => {
  beforeAll(async () => {
    db = await cloneTemplateDatabase();
    service = await startService({ databaseUrl: db.url, port: await freePort() });
    const c = open(service.address);
    expect((await settle((md, o, cb) => c.inventory.createWarehouse({ warehouseId, displayName: "term", region: "test" }, md, o, cb))).ok).toBe(true);
    for (const sku of [slow, free]) {
      expect((await settle((md, o, cb) => c.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: "100" }, md, o, cb))).ok).toBe(true);
    }
  });
  afterAll(async () => {
    for (const c of opened) c.close();
    await service?.dispose();
    await db?.close();
  });

  it("stops accepting, drains in-flight calls to their answers, closes the pool and exits 0", { timeout: 60_000 }, async () => {
    const clients = Array.from({ length: 3 }, () => open(service.address));
    const watch = healthWatch(clients[0]!);
    expect(await waitUntil(() => watch.statuses.includes("SERVING"), 5_000)).toBe(true);

    const lock = await lockStockRows(db, slow);
    const inFlight: { entry: ReserveEntry; call: InFlight<ReserveResponse> }[] = [];
    const late: ReserveEntry[] = [];
    let exit: { code: number | null; signal: NodeJS.Signals | null };
    let drainMs = 0;
    try {
      for (let i = 0; i < 6; i++) {
        const entry = reserveOf(slow);
        inFlight.push({ entry, call: startReserve(clients[i % clients.length]!, entry) });
      }
      // They are in flight: the coalescer's batch for the SKU waits inside PostgreSQL for the row
      // lock, the others wait for that batch in the server.
      const blocked = await waitUntil(async () => {
        const [row] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        return row!.n >= 1;
      }, 10_000);
      expect(blocked, "the in-flight calls wait on the lock").toBe(true);

      service.kill("SIGTERM");
      const sigtermAt = Date.now();
      expect(await waitUntil(() => service.logged("shutting down: draining calls").length > 0, 5_000)).toBe(true);
      // Health said NOT_SERVING to its watcher; the watcher goes away, as a load balancer's would.
      expect(await waitUntil(() => watch.statuses.at(-1) === "NOT_SERVING", 5_000), `health statuses: ${watch.statuses.join(", ")}`).toBe(true);
      watch.cancel();
      await sleep(300);

      // New calls are refused, on the connections it had and on new ones, and never run.
      const fresh = open(service.address);
      for (const c of [clients[1]!, fresh]) {
        const entry = reserveOf(free);
        late.push(entry);
        const outcome = await startReserve(c, entry, 5_000).outcome;
        expect(outcome.ok ? "OK" : status[outcome.code], "a call after SIGTERM").toBe("UNAVAILABLE");
      }
      expect(service.hasExited(), "it waits for the in-flight calls").toBe(false);
      expect(inFlight.every((f) => f.entry.outcomes.length === 0)).toBe(true);

      await lock.release();
      const outcomes = await Promise.all(inFlight.map((f) => f.call.outcome));
      expect(outcomes.map((o) => (o.ok ? "OK" : `${status[o.code]} ${o.details}`)), "every in-flight call gets its answer").toEqual(inFlight.map(() => "OK"));
      exit = await service.exited;
      drainMs = Date.now() - sigtermAt;
    } finally {
      await lock.release();
    }

    expect(exit).toEqual({ code: 0, signal: null });
    expect(drainMs, "drained, not forced after the drain limit").toBeLessThan(shutdownDrainMsMax);
    expect(service.logged("drain timed out; cancelling in-flight calls")).toEqual([]);
    // "stopped" is logged after the pool closed (src/main.ts); no connection of it is left.
    expect(service.logged("stopped")).toHaveLength(1);
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name <> $1`, [testApplicationName])).toEqual([{ n: 0 }]);

    // The drained calls are in the books; the refused ones never ran.
    expect(await db.query(`SELECT count(*)::int AS n FROM reservation WHERE request_id = ANY($1)`, [late.map((e) => e.request.requestId)])).toEqual([{ n: 0 }]);
    const next = await startService({ databaseUrl: db.url, port: await freePort() });
    try {
      const summary = await checkReserveBooks(db, open(next.address), [...inFlight.map((f) => f.entry), ...late]);
      expect(summary).toMatchObject({ answered: inFlight.length, unanswered: late.length, committedUnanswered: 0 });
    } finally {
      await next.dispose();
    }
  });

  // BUG (reported): a Health/Watch stream never ends by itself, and server.tryShutdown() waits for
  // every open stream, so one watcher (grpc clients with client-side health checking keep one
  // open per connection) holds every shutdown for the whole drain limit; then forceShutdown()
  // cancels whatever unary call is still in flight. The watcher is told NOT_SERVING; the server
  // should then end the Watch streams itself (src/server.ts shutdown()).
  it("an open health Watch does not hold the shutdown until the drain limit", { timeout: 30_000 }, async () => {
    const own = await startService({ databaseUrl: db.url, port: await freePort() });
    try {
      const watch = healthWatch(open(own.address));
      expect(await waitUntil(() => watch.statuses.includes("SERVING"), 5_000)).toBe(true);
      const sigtermAt = Date.now();
      own.kill("SIGTERM");
      const exit = await own.exited;
      const tookMs = Date.now() - sigtermAt;
      expect(watch.statuses.at(-1)).toBe("NOT_SERVING");
      expect(exit).toEqual({ code: 0, signal: null });
      expect({ tookMs: tookMs < 3_000 ? "< 3 s" : `${tookMs} ms`, forced: own.logged("drain timed out; cancelling in-flight calls").length }).toEqual({ tookMs: "< 3 s", forced: 0 });
    } finally {
      await own.dispose();
    }
  });
});
