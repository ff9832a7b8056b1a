// The reserve path's own use of the pool (src/db/prepared.ts): statements commit on their own
// outside a transaction, a transaction undoes everything when its body throws, row locks last
// until it ends, and every connection goes back to the pool clean. Against the real database.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { withPooledSession } from "../../src/db/prepared.js";
import { textArray } from "../../src/db/sql-array.js";
import pg from "pg";
import { onRealPostgres } from "../support/database.js";
import { useTestServer } from "../support/harness.js";
import { stockedSku } from "../support/fixtures.js";

if (!onRealPostgres()) console.log("test/integration/pooled-session: one test skipped, it holds row locks against a second connection, and the embedded database takes one");

const { db, server } = useTestServer();

const insertWarehouse = "INSERT INTO warehouse (warehouse_id, create_time) VALUES (?, now())";
const warehouseCount = "SELECT count(*)::int AS n FROM warehouse WHERE warehouse_id = ANY(?::text[])";

async function warehousesNamed(...ids: string[]): Promise<number> {
  const rows = await db.query<{ n: number }>(warehouseCount, [textArray(ids)]);
  return rows[0]!.n;
}

describe("withPooledSession", () => {
  it("outside a transaction, keeps each statement that ran before the body threw", async () => {
    const id = `wh-${randomUUID().slice(0, 8)}`;
    await expect(withPooledSession(db.orm, { transaction: false }, async (s) => {
      await s.query("test_insert_warehouse", insertWarehouse, [id]);
      throw new Error("body failed");
    })).rejects.toThrow("body failed");
    expect(await warehousesNamed(id)).toBe(1);
  });

  it("in a transaction, writes nothing when the body throws after a statement", async () => {
    const id = `wh-${randomUUID().slice(0, 8)}`;
    await expect(withPooledSession(db.orm, { transaction: true }, async (s) => {
      await s.query("test_insert_warehouse", insertWarehouse, [id]);
      throw new Error("body failed");
    })).rejects.toThrow("body failed");
    expect(await warehousesNamed(id)).toBe(0);
  });

  it("in a transaction, commits every statement when the body returns", async () => {
    const ids = [`wh-${randomUUID().slice(0, 8)}`, `wh-${randomUUID().slice(0, 8)}`];
    const seen = await withPooledSession(db.orm, { transaction: true }, async (s) => {
      for (const id of ids) await s.query("test_insert_warehouse", insertWarehouse, [id]);
      return (await s.query<{ n: number }>("test_warehouse_count", warehouseCount, [textArray(ids)]))[0]!.n;
    });
    expect(seen).toBe(2);
    expect(await warehousesNamed(...ids)).toBe(2);
  });

  it("reuses a named statement with new parameters on every call", async () => {
    const ids = Array.from({ length: 5 }, () => `wh-${randomUUID().slice(0, 8)}`);
    for (const id of ids) await withPooledSession(db.orm, { transaction: false }, (s) => s.query("test_insert_warehouse", insertWarehouse, [id]));
    const counts = await withPooledSession(db.orm, { transaction: false }, async (s) => {
      const found: number[] = [];
      for (const id of ids) found.push((await s.query<{ n: number }>("test_warehouse_count", warehouseCount, [textArray([id])]))[0]!.n);
      return found;
    });
    expect(counts).toEqual([1, 1, 1, 1, 1]);
  });

  it("lends every connection again clean after failed statements, in and out of transactions", async () => {
    // Three rounds of as many sessions at once as the pool has connections, so every connection
    // fails in each: one left inside an aborted transaction, or never released, would fail or
    // time out a later round.
    for (let round = 0; round < 3; round++) {
      const failing = Array.from({ length: db.poolSize }, (_, i) =>
        withPooledSession(db.orm, { transaction: (round + i) % 2 === 0 }, async (s) => {
          await new Promise((r) => setTimeout(r, 20)); // hold the connection while the others take theirs
          return s.query("test_fail", "SELECT 1 / (?::int - ?::int) AS x", [round, round]);
        }));
      const outcomes = await Promise.allSettled(failing);
      expect(outcomes.map((o) => (o.status === "rejected" ? (o.reason as { code?: string }).code : "fulfilled"))).toEqual(Array(db.poolSize).fill("22012"));
    }
    const ok = await Promise.all(Array.from({ length: db.poolSize }, () =>
      withPooledSession(db.orm, { transaction: true }, (s) => s.query<{ x: number }>("test_one", "SELECT ?::int AS x", [1]))));
    expect(ok.map((rows) => rows[0]!.x)).toEqual(Array(db.poolSize).fill(1));
  });

  it.skipIf(!onRealPostgres())("in a transaction, holds its row locks until the body ends (needs a second connection: real PostgreSQL only)", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const lockNowait = "SELECT sku FROM stock_level WHERE sku = $1 AND warehouse_id = $2 FOR UPDATE NOWAIT";
    const other = await openTestDatabaseOn(db.url);
    try {
      await withPooledSession(db.orm, { transaction: true }, async (s) => {
        await s.query("test_lock_level", "SELECT sku FROM stock_level WHERE sku = ? AND warehouse_id = ? FOR UPDATE", [sku, warehouseId]);
        await expect(other.query(lockNowait, [sku, warehouseId])).rejects.toMatchObject({ code: "55P03" });
      });
      expect((await other.query(lockNowait, [sku, warehouseId])).rows).toHaveLength(1);
    } finally {
      await other.end();
    }
  });
});

/** A plain client on the same database, outside the ORM's pool. */
async function openTestDatabaseOn(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}
