// A server whose database connections are all busy is slow, not down. Health still says whether
// the database answers (a load balancer that took a busy instance out would move its load onto
// the others), and a flood of calls that take a connection each (BatchReserve) queues in a
// bounded line of its own, refused RESOURCE_EXHAUSTED beyond it, while other calls still find a
// connection. A call given up while it waits is dropped before it writes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { openOrm, type Orm } from "../../src/db/orm.js";
import { textArray } from "../../src/db/sql-array.js";
import { batchCallsRunningMax, batchRequestsWaitingMax, batchReserveRequestsMax, databasePoolSizeMax, databaseProbeIntervalMs, databaseProbeTimeoutMs } from "../../src/limits.js";
import { onRealPostgres, openTestDatabase, type TestDatabase } from "../support/database.js";
import { clientSet, healthWatch } from "../support/faults/clients.js";
import { lockStockRows } from "../support/faults/database.js";
import { sleep, waitUntil } from "../support/faults/process.js";
import { availability, reserveRequest, stockedSku } from "../support/fixtures.js";
import { rejection, startTestServer, type TestServer } from "../support/server.js";

const real = onRealPostgres();
if (!real) console.log("test/integration/busy-pool: skipped, it holds a row lock from a second connection, and the embedded database takes one");

let db: TestDatabase;
const clients = clientSet();
const opened: { server: TestServer; orm: Orm }[] = [];

/** A server of its own with `poolSize` connections. */
async function serverWithPool(poolSize: number): Promise<TestServer> {
  const orm = await openOrm({ url: db.url, poolSize });
  const server = await startTestServer(orm);
  opened.push({ server, orm });
  return server;
}

describe.skipIf(!real)("a busy pool", () => {
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    clients.closeAll();
    for (const { server, orm } of opened) {
      await server.stop();
      await orm.close(true);
    }
    await db?.close();
  });

  it("keeps health SERVING while calls hold every connection and more queue for one", { timeout: 30_000 }, async () => {
    const poolSize = 2;
    const server = await serverWithPool(poolSize);
    const { sku, warehouseId } = await stockedSku(server, 100);
    const held = await lockStockRows(db, sku);
    const watch = healthWatch(clients.open(server.address));
    let answered = 0;
    const calls = Array.from({ length: poolSize * 2 }, () =>
      server.reservations.batchReserve({ requests: [reserveRequest([{ sku, quantity: 1, warehouseId }])] }).finally(() => answered++));
    // Long enough for a probe through the pool to wait out its deadline and report NOT_SERVING.
    await sleep(databaseProbeIntervalMs * 2 + databaseProbeTimeoutMs);
    const seen = [...watch.statuses];
    expect(answered, "the calls were all still waiting: the pool was busy the whole time").toBe(0);
    await held.release();
    const results = await Promise.all(calls);
    watch.cancel();
    expect(seen).toEqual(["SERVING"]);
    expect(results.map((r) => r.results[0]!.reservation?.lines[0]?.reservedQuantity)).toEqual(Array(poolSize * 2).fill("1"));
  });

  it("runs a few BatchReserve calls at once, queues a bounded number, refuses the rest OVERLOADED, and leaves connections for other calls", { timeout: 60_000 }, async () => {
    const server = await serverWithPool(databasePoolSizeMax);
    // Full calls: the queue holds batchRequestsWaitingMax / batchReserveRequestsMax of them.
    const admitted = batchCallsRunningMax + Math.floor(batchRequestsWaitingMax / batchReserveRequestsMax);
    const hot = await stockedSku(server, (admitted + 3) * batchReserveRequestsMax);
    const other = await stockedSku(server, 10);
    const held = await lockStockRows(db, hot.sku);
    const settled: PromiseSettledResult<unknown>[] = [];
    const calls = Array.from({ length: admitted + 3 }, () => {
      const requests = Array.from({ length: batchReserveRequestsMax }, () => reserveRequest([{ sku: hot.sku, quantity: 1, warehouseId: hot.warehouseId }]));
      const call = server.reservations.batchReserve({ requests });
      void call.then((value) => settled.push({ status: "fulfilled", value }), (reason: unknown) => settled.push({ status: "rejected", reason }));
      return call;
    });
    try {
      // The 3 that arrive beyond the queue are refused at once; the admitted ones all wait for the row.
      await waitUntil(() => settled.length >= 3, 20_000);
      await sleep(200);
      expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "rejected"]);
      for (const s of settled) {
        const refusal = await rejection(Promise.reject((s as PromiseRejectedResult).reason));
        expect([refusal.code, refusal.status.errorInfo?.reason]).toEqual([status.RESOURCE_EXHAUSTED, "OVERLOADED"]);
      }
      // Other calls still get a connection: a read, and a reserve through the coalescer.
      expect(await availability(server, other.sku)).toEqual({ onHand: 10, reserved: 0, available: 10 });
      const single = await server.reservations.reserve(reserveRequest([{ sku: other.sku, quantity: 2, warehouseId: other.warehouseId }]));
      expect(single.reservation?.lines[0]?.reservedQuantity).toBe("2");
    } finally {
      await held.release();
    }
    const outcomes = await Promise.allSettled(calls);
    const served = outcomes.flatMap((o) => (o.status === "fulfilled" ? o.value.results : []));
    expect(served.length).toBe(admitted * batchReserveRequestsMax);
    expect(served.every((r) => r.reservation?.lines[0]?.reservedQuantity === "1")).toBe(true);
    // The refused calls wrote nothing.
    expect(await availability(server, hot.sku)).toMatchObject({ reserved: admitted * batchReserveRequestsMax });
  });

  it("drops calls whose deadline passes while they wait (for a place, or in a coalescer lane): they write nothing, and their retries reserve once", { timeout: 30_000 }, async () => {
    const server = await serverWithPool(databasePoolSizeMax);
    const batchSku = await stockedSku(server, 100);
    const laneSku = await stockedSku(server, 100);
    const one = (sku: { sku: string; warehouseId: string }) => reserveRequest([{ sku: sku.sku, quantity: 1, warehouseId: sku.warehouseId }]);
    const heldBatch = await lockStockRows(db, batchSku.sku);
    const heldLane = await lockStockRows(db, laneSku.sku);
    // These take every place and the lane's running batch, and wait for the rows.
    const running = [
      ...Array.from({ length: batchCallsRunningMax }, () => server.reservations.batchReserve({ requests: [one(batchSku)] })),
      server.reservations.reserve(one(laneSku)),
    ];
    const blocked = async () => {
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`);
      return row!.n >= batchCallsRunningMax + 1;
    };
    expect(await waitUntil(blocked, 10_000), "the running calls never waited for the held rows").toBe(true);
    // These queue behind them, and their clients give up.
    const abandonedBatch = { requests: [one(batchSku), one(batchSku)] };
    const abandonedReserve = one(laneSku);
    const deadline = () => ({ deadline: Date.now() + 300 });
    // The client ends the call at its deadline (no status details: grpc-js makes that status itself).
    const codeOf = (call: Promise<unknown>) => call.then(() => "answered", (error: { code?: number }) => error.code);
    try {
      const gaveUp = await Promise.all([
        codeOf(server.reservations.batchReserve(abandonedBatch, deadline())),
        codeOf(server.reservations.reserve(abandonedReserve, deadline())),
      ]);
      expect(gaveUp).toEqual([status.DEADLINE_EXCEEDED, status.DEADLINE_EXCEEDED]);
      await sleep(100);
    } finally {
      await heldBatch.release();
      await heldLane.release();
    }
    await Promise.all(running);
    // Calls after them in the same queues: once these are answered, any abandoned call left in
    // a queue would have run too.
    await server.reservations.batchReserve({ requests: [one(batchSku)] });
    await server.reservations.reserve(one(laneSku));
    const abandonedIds = [...abandonedBatch.requests.map((r) => r.requestId), abandonedReserve.requestId];
    const written = await db.query(`SELECT count(*)::int AS n FROM reservation WHERE request_id = ANY(?::text[])`, [textArray(abandonedIds)]);
    expect(written, "a call given up while it waited was written anyway").toEqual([{ n: 0 }]);
    expect(await availability(server, batchSku.sku)).toMatchObject({ reserved: batchCallsRunningMax + 1 });
    expect(await availability(server, laneSku.sku)).toMatchObject({ reserved: 2 });
    // Retried with the same request ids, each reserves once.
    const retried = await server.reservations.batchReserve(abandonedBatch);
    expect(retried.results.map((r) => r.reservation?.lines[0]?.reservedQuantity)).toEqual(["1", "1"]);
    expect((await server.reservations.reserve(abandonedReserve)).reservation?.lines[0]?.reservedQuantity).toBe("1");
    expect(await availability(server, batchSku.sku)).toMatchObject({ reserved: batchCallsRunningMax + 3 });
    expect(await availability(server, laneSku.sku)).toMatchObject({ reserved: 3 });
  });
});
