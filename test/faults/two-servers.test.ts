// Two server processes on one database under a mixed load (reserves racing for scarce stock,
// multi-line orders, holds expiring under both sweepers, waiting orders, releases, receipts,
// external sales, and the same request sent to both at once): the invariants hold.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { ReleaseReason } from "../../src/gen/inventory/v1/reservation.js";
import type { ReserveRequest } from "../../src/gen/inventory/v1/reservation_service.js";
import { AdjustmentReason } from "../../src/gen/inventory/v1/stock.js";
import { newRequestId, Priority, unique } from "../support/fixtures.js";
import { noViolations } from "../support/invariants.js";
import { checkReserveBooks } from "../support/faults/books.js";
import { clientSet, settle, type Outcome } from "../support/faults/clients.js";
import { cloneTemplateDatabase, onRealPostgres, type FaultDatabase } from "../support/faults/database.js";
import { kindOf, runWorkers, sendReserve, tally, type Journal, type ReserveEntry } from "../support/faults/load.js";
import { freePort, sleep, startService, type ServiceProcess } from "../support/faults/process.js";
import { seededRandom } from "../support/seeded-random.js";

const real = onRealPostgres();
if (!real) console.log("test/faults/two-servers: skipped, it needs a real PostgreSQL server (set DATABASE_URL)");

let db: FaultDatabase;
const services: ServiceProcess[] = [];
const connections = clientSet();
const open = connections.open;


describe.skipIf(!real)("two server processes on one database", () => {
  const w1 = unique("wh-a");
  const w2 = unique("wh-b");
  const hot = unique("HOT");
  const a = unique("A");
  const b = unique("B");

  beforeAll(async () => {
    db = await cloneTemplateDatabase();
    for (let i = 0; i < 2; i++) services.push(await startService({ databaseUrl: db.url, port: await freePort() }));
    const c = open(services[0]!.address);
    for (const warehouseId of [w1, w2]) {
      expect((await settle((md, o, cb) => c.inventory.createWarehouse({ warehouseId, displayName: warehouseId, region: "test" }, md, o, cb))).ok).toBe(true);
    }
    const counts: [string, string, number][] = [[hot, w1, 60], [hot, w2, 40], [a, w1, 500], [b, w1, 500], [b, w2, 200]];
    for (const [sku, warehouseId, onHand] of counts) {
      expect((await settle((md, o, cb) => c.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: String(onHand) }, md, o, cb))).ok).toBe(true);
    }
    // Some units held back from standard orders on the hot SKU.
    expect((await settle((md, o, cb) => c.inventory.setStockPolicy({ requestId: newRequestId(), sku: hot, warehouseId: w1, minStock: "5", reason: "fault test" }, md, o, cb))).ok).toBe(true);
  });
  afterAll(async () => {
    connections.closeAll();
    for (const s of services) await s.dispose();
    await db?.close();
  });

  it("keeps every invariant under a mixed load spread over both", { timeout: 90_000 }, async () => {
    const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);
    const rnd = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const perServer = services.map((s) => Array.from({ length: 3 }, () => open(s.address)));
    const reserves: ReserveEntry[] = [];
    const others: Journal<unknown, unknown>[] = [];
    const moved = new Set<string>();
    const live: { reservationId: string; requestId: string }[] = [];
    const twins: ReserveEntry[] = [];
    const workers = 6;

    const newReserve = (): ReserveEntry => {
      const shape = rnd();
      const lines = shape < 0.6
        ? [{ sku: hot, quantity: String(1 + Math.floor(rnd() * 3)), warehouseId: pick(["", w1, w2]) }]
        : [{ sku: pick([a, b]), quantity: String(1 + Math.floor(rnd() * 4)), warehouseId: "" }, { sku: hot, quantity: "1", warehouseId: "" }];
      const waitForStock = rnd() < 0.15;
      const hold = !waitForStock && rnd() < 0.15;
      const request: ReserveRequest = {
        requestId: newRequestId(), orderId: unique("two"), customerId: "c", channel: pick(["web", "pos", "marketplace"]),
        priority: rnd() < 0.2 ? Priority.PRIORITY_VIP : Priority.PRIORITY_STANDARD,
        allowPartial: rnd() < 0.2, waitForStock, lines,
        // Holds of 1 s expire during the run: both processes' sweepers release them.
        ttl: hold ? { seconds: "1", nanos: 0 } : undefined,
      };
      const entry: ReserveEntry = { method: "Reserve", request, outcomes: [] };
      if (waitForStock || hold) moved.add(request.requestId);
      return entry;
    };
    const record = <T>(method: string, request: unknown, outcome: Outcome<T>) => {
      others.push({ method, request, outcomes: [outcome as Outcome<unknown>] });
      return outcome;
    };

    await runWorkers(workers, { maxMs: 4_000, maxIterations: 250 }, async (w, i) => {
      const c = perServer[(w + i) % 2]![w % 3]!;
      const roll = rnd();
      if (roll < 0.55) {
        const entry = newReserve();
        reserves.push(entry);
        const outcome = await sendReserve(c, entry, 15_000);
        if (outcome.ok && !entry.request.waitForStock && !entry.request.ttl) live.push({ reservationId: outcome.value.reservation!.reservationId, requestId: entry.request.requestId });
      } else if (roll < 0.62) {
        // The same request to both processes at once.
        const entry = newReserve();
        reserves.push(entry);
        twins.push(entry);
        await Promise.all(perServer.map((cs) => sendReserve(cs[w % 3]!, entry, 15_000)));
        moved.add(entry.request.requestId);
      } else if (roll < 0.8 && live.length > 0) {
        const [target] = live.splice(Math.floor(rnd() * live.length), 1);
        const request = { requestId: newRequestId(), reservationId: target!.reservationId, reason: pick([ReleaseReason.RELEASE_REASON_SHIPPED, ReleaseReason.RELEASE_REASON_CANCELLED]) };
        moved.add(target!.requestId);
        record("ReleaseReservation", request, await settle((md, o, cb) => c.reservations.releaseReservation(request, md, o, cb), 15_000));
      } else if (roll < 0.93) {
        const request = { requestId: newRequestId(), sku: hot, warehouseId: pick([w1, w2]), delta: String(1 + Math.floor(rnd() * 4)), reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT };
        record("AdjustStock", request, await settle((md, o, cb) => c.inventory.adjustStock(request, md, o, cb), 15_000));
      } else {
        // An external sale can take physical stock below what is reserved: demotions and alerts.
        const request = { requestId: newRequestId(), sku: hot, warehouseId: pick([w1, w2]), delta: String(-(1 + Math.floor(rnd() * 3))), reason: AdjustmentReason.ADJUSTMENT_REASON_EXTERNAL_SALE };
        record("AdjustStock", request, await settle((md, o, cb) => c.inventory.adjustStock(request, md, o, cb), 15_000));
      }
    });
    // Let the sweepers release the last holds.
    await sleep(2_500);

    const all = [...reserves, ...others] as Journal<unknown, unknown>[];
    const unclean = all.flatMap((e) => e.outcomes.filter((o) => kindOf(o) !== "answered" && kindOf(o) !== "refused").map((o) => `${e.method}: ${o.ok ? "" : `${status[o.code]}/${o.reason} ${o.details}`}`));
    expect(unclean, `seed ${seed}: every call is answered or cleanly refused`).toEqual([]);
    expect(services.every((s) => !s.hasExited())).toBe(true);
    expect(services.flatMap((s) => s.logged("unexpected error")), `seed ${seed}`).toEqual([]);
    expect(await db.invariants(), `seed ${seed}`).toEqual(noViolations);

    // The same request_id on both processes at once took effect once: one reservation, one answer.
    for (const t of twins) {
      const ids = new Set(t.outcomes.flatMap((o) => (o.ok ? [o.value.reservation!.reservationId] : [])));
      expect(ids.size, `seed ${seed}: twin ${t.request.requestId}`).toBeLessThanOrEqual(1);
      const rows = await db.query(`SELECT reservation_id FROM reservation WHERE request_id = $1`, [t.request.requestId]);
      expect(rows.length).toBe(ids.size);
    }
    // No hold outlived its ttl by more than the sweep: every expired hold was released.
    expect(await db.query(`SELECT reservation_id FROM reservation WHERE state <> 'RELEASED' AND expire_time < now() - interval '2 seconds'`)).toEqual([]);
    // An external sale below reserved demotes held reservations: those may be PENDING now.
    for (const row of await db.query<{ request_id: string }>(
      `SELECT DISTINCT r.request_id FROM reservation r JOIN ledger_entry e USING (reservation_id) WHERE e.kind = 'DEMOTE'`)) {
      moved.add(row.request_id);
    }
    const summary = await checkReserveBooks(db, perServer[1]![0]!, reserves, moved);
    expect(summary.unanswered).toBe(0);
    const [ledger] = await db.query<{ kinds: string[] }>(`SELECT array_agg(DISTINCT kind ORDER BY kind) AS kinds FROM ledger_entry`);
    // Deadlocks are retried, so they cost latency, not correctness; test/faults/lock-order.test.ts
    // asserts their causes. Counted once the services' sessions have ended and flushed their stats.
    for (const s of services) await s.dispose();
    const [stats] = await db.query<{ deadlocks: string }>(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`);
    console.log(`two-servers (seed ${seed}): ${all.length} calls, ${stats!.deadlocks} deadlocks, ledger kinds ${ledger!.kinds.join(",")}, outcomes ${JSON.stringify(tally(all))}`);
  });
});
