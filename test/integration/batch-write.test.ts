// The batch reserve's single-statement write: it commits whole, or undoes every row it wrote
// and says why, so no explicit transaction is needed around it. Against the real database.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { batchWriteStatement, readBatchInputs, writeBatch, type BatchQuery, type BatchWrite } from "../../src/db/batch-reserve-repository.js";
import { textArray } from "../../src/db/sql-array.js";
import { withPooledSession, type SqlSession } from "../../src/db/prepared.js";
import { reserveBatch } from "../../src/app/reserve-batch.js";
import { InFlightUnits } from "../../src/app/in-flight-units.js";
import { systemClock } from "../../src/app/clock.js";
import { stockKey } from "../../src/core/stock.js";
import type { ReserveCommand } from "../../src/core/commands.js";
import { useTestServer } from "../support/harness.js";
import { reserveRequest, stockedSku } from "../support/fixtures.js";
import { expiredHoldsQuery } from "../../src/db/reservation-repository.js";
import { checkInvariants, noViolations } from "../support/invariants.js";

const { db, server } = useTestServer();

/** A write reserving `units` for each (sku, warehouse) given, one new reservation each. */
function reserving(levels: { sku: string; warehouseId: string; units: number; vip?: boolean }[]): BatchWrite & { requestIds: string[] } {
  const time = new Date();
  const planned = levels.map((l) => ({ ...l, requestId: randomUUID(), reservationId: randomUUID() }));
  return {
    requestIds: planned.map((p) => p.requestId),
    answers: planned.map((p) => ({ requestId: p.requestId, method: "Reserve", requestHash: "h", response: Buffer.from([1, 2, 3]) })),
    reservations: planned.map((p) => ({
      reservation: {
        reservationId: p.reservationId, requestId: p.requestId, orderId: `o-${p.requestId}`, customerId: "c", channel: "web",
        priority: p.vip ? "VIP" : "STANDARD", state: "ACTIVE", releaseReason: null, waitForStock: false, expireTime: null, createTime: time, updateTime: time,
      },
      lines: [{ lineIndex: 0, sku: p.sku, warehouseId: p.warehouseId, requested: p.units, reserved: p.units, waiting: 0, expectedTime: null }],
    })),
    levels: planned.map((p) => ({
      key: { sku: p.sku, warehouseId: p.warehouseId },
      parts: [{ kind: "RESERVE" as const, reservationId: p.reservationId, onHandDelta: 0, reservedDelta: p.units, payload: { test: true } }],
      vip: p.vip ? p.units : 0, standard: p.vip ? 0 : p.units, expectedVersion: null,
    })).sort((a, b) => (a.key.sku < b.key.sku ? -1 : 1)),
    time,
    ledgerRequestId: `batch:${randomUUID()}`,
    unchangedLevels: [],
    noExpiredHoldsAt: null,
    seenLevelCount: null,
  };
}

async function rowsOf(write: { requestIds: string[]; ledgerRequestId: string }) {
  const [counts] = await db.query<{ answers: string; reservations: string; lines: string; entries: string }>(
    `SELECT (SELECT count(*) FROM idempotency_key WHERE request_id = ANY(?::text[])) AS answers,
            (SELECT count(*) FROM reservation WHERE request_id = ANY(?::text[])) AS reservations,
            (SELECT count(*) FROM reservation_line l JOIN reservation r USING (reservation_id) WHERE r.request_id = ANY(?::text[])) AS lines,
            (SELECT count(*) FROM ledger_entry WHERE request_id = ?) AS entries`,
    [textArray(write.requestIds), textArray(write.requestIds), textArray(write.requestIds), write.ledgerRequestId],
  );
  return { answers: Number(counts!.answers), reservations: Number(counts!.reservations), lines: Number(counts!.lines), entries: Number(counts!.entries) };
}

async function reservedOf(sku: string): Promise<number> {
  const [row] = await db.query<{ reserved: string }>(`SELECT sum(reserved) AS reserved FROM stock_level WHERE sku = ?`, [sku]);
  return Number(row!.reserved);
}

/** The engine's own way to the database: one pooled connection, each statement committing on its own. */
const onPool = <T>(body: (s: SqlSession) => Promise<T>): Promise<T> => withPooledSession(db.orm, { transaction: false }, body);
const writeOnPool = (w: BatchWrite) => onPool((s) => writeBatch(s, w));
const readOnPool = (q: BatchQuery) => onPool((s) => readBatchInputs(s, q));

describe("writeBatch", () => {
  it("writes every answer, reservation, line and ledger entry, with each entry's after-figures, in one statement", async () => {
    const a = await stockedSku(server, 10);
    const b = await stockedSku(server, 10);
    const write = reserving([{ ...a, units: 2 }, { ...b, units: 3, vip: true }]);
    const before = await db.query<{ version: string }>(`SELECT version FROM stock_level WHERE sku = ANY(?::text[]) ORDER BY sku`, [textArray([a.sku, b.sku])]);
    const outcome = await writeOnPool(write);
    expect(outcome.kind).toBe("written");
    // Each level's version after the change, one more than before.
    expect(outcome.kind === "written" && outcome.rows.map((r) => r.version)).toEqual(before.map((r) => Number(r.version) + 1));
    expect(await rowsOf(write)).toEqual({ answers: 2, reservations: 2, lines: 2, entries: 2 });
    expect([await reservedOf(a.sku), await reservedOf(b.sku)]).toEqual([2, 3]);
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("writes nothing at all and says a guard failed when one stock level of the batch lacks the units", async () => {
    const plenty = await stockedSku(server, 10);
    const short = await stockedSku(server, 2);
    const write = reserving([{ ...plenty, units: 1 }, { ...short, units: 3 }]);
    expect((await writeOnPool(write)).kind).toBe("guard-failed");
    expect(await rowsOf(write)).toEqual({ answers: 0, reservations: 0, lines: 0, entries: 0 });
    expect([await reservedOf(plenty.sku), await reservedOf(short.sku)]).toEqual([0, 0]);
  });

  it("keeps standard units out of the held-back stock but lets VIP units take it", async () => {
    const level = await stockedSku(server, 5);
    await db.query(`UPDATE stock_level SET safety_buffer = 3 WHERE sku = ?`, [level.sku]);
    expect((await writeOnPool(reserving([{ ...level, units: 3 }]))).kind).toBe("guard-failed");
    expect((await writeOnPool(reserving([{ ...level, units: 2 }]))).kind).toBe("written");
    expect((await writeOnPool(reserving([{ ...level, units: 3, vip: true }]))).kind).toBe("written");
    expect(await reservedOf(level.sku)).toBe(5);
  });

  it("writes nothing at all and says so when one request id was answered meanwhile", async () => {
    const level = await stockedSku(server, 10);
    const write = reserving([{ ...level, units: 1 }, { ...level, units: 1 }]);
    // Two reservations of one level in one write: merge them into one level change, as the engine does.
    write.levels = [{ key: write.levels[0]!.key, parts: write.levels.flatMap((l) => l.parts), vip: 0, standard: 2, expectedVersion: null }];
    await db.query(`INSERT INTO idempotency_key (request_id, method, request_hash, response, create_time) VALUES (?, 'Reserve', 'other', '\\x00', now())`, [write.requestIds[1]]);
    expect((await writeOnPool(write)).kind).toBe("answered-meanwhile");
    expect(await rowsOf(write)).toEqual({ answers: 1, reservations: 0, lines: 0, entries: 0 });
    expect(await reservedOf(level.sku)).toBe(0);
  });
});

describe("the batch write's locking", () => {
  it("locks every stock level of the batch, in key order, before it updates any", async () => {
    const warehouse = await stockedSku(server, 10);
    const levels = [warehouse, ...(await Promise.all([1, 2, 3, 4].map(() => stockedSku(server, 10, warehouse.warehouseId))))];
    const { sql, params } = batchWriteStatement(reserving(levels.map((l) => ({ ...l, units: 1 }))));
    let plan: unknown;
    // EXPLAIN ANALYZE runs the statement: roll it back.
    await db.orm.em.fork().transactional(async (em) => {
      plan = (await em.execute<{ "QUERY PLAN": unknown }[]>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params))[0]!["QUERY PLAN"];
      throw new Error("roll back");
    }).catch((error: Error) => expect(error.message).toBe("roll back"));
    const nodes: { "Node Type": string; "Actual Rows": number; Plans?: unknown[] }[] = [];
    const walk = (n: { Plans?: unknown[] }) => { nodes.push(n as never); for (const c of n.Plans ?? []) walk(c as never); };
    walk((plan as { Plan: never }[])[0]!.Plan);
    const lockRows = nodes.filter((n) => n["Node Type"] === "LockRows");
    expect(lockRows.map((n) => n["Actual Rows"])).toEqual([levels.length]);
    const sort = nodes.find((n) => n["Node Type"] === "Sort" && JSON.stringify((n as { "Sort Key"?: string[] })["Sort Key"]).includes('COLLATE \\"C\\"'));
    expect(sort, "the locked rows are sorted by key first").toBeDefined();
  });
});

describe("reserveBatch with units other batches are writing", () => {
  const order = (sku: string, warehouseId: string, quantity: number): ReserveCommand => ({
    requestId: randomUUID(), orderId: `o-${randomUUID()}`, customerId: "c", channel: "web", priority: "STANDARD",
    allowPartial: false, waitForStock: false, ttlMs: null, lines: [{ sku, quantity, warehouseId }],
  });

  it("grants at once what fits beside the units another batch is writing", async () => {
    const level = await stockedSku(server, 5);
    const inFlight = new InFlightUnits();
    const [row] = await db.query<{ version: string }>(`SELECT version FROM stock_level WHERE sku = ?`, [level.sku]);
    // Another batch wrote 4 units (version + 1) and has not committed yet.
    const other = inFlight.claim(stockKey(level), 4);
    inFlight.written(other, Number(row!.version) + 1);
    const [granted] = await reserveBatch(db.orm, systemClock, [order(level.sku, level.warehouseId, 1)], { inFlight });
    expect(granted!.ok).toBe(true);
    expect(await reservedOf(level.sku)).toBe(1);
  });

  it("does not refuse an order on units a batch claimed and never wrote: it decides it again once the claim is gone", async () => {
    const level = await stockedSku(server, 5);
    const inFlight = new InFlightUnits();
    const phantom = inFlight.claim(stockKey(level), 4);
    let settled = false;
    const result = reserveBatch(db.orm, systemClock, [order(level.sku, level.warehouseId, 3)], { inFlight }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled, "waits while the claim is held").toBe(false);
    inFlight.release([phantom]);
    const [decided] = await result;
    expect(decided!.ok && decided!.response.reservation?.lines[0]?.reservedQuantity).toBe("3");
    expect(await reservedOf(level.sku)).toBe(3);
  });
});

describe("readBatchInputs", () => {
  it("reads stored answers, stock levels in key order, expired holds and known warehouses from one snapshot", async () => {
    const a = await stockedSku(server, 4);
    const b = await stockedSku(server, 6, a.warehouseId);
    const write = reserving([{ ...a, units: 1 }]);
    await writeOnPool(write);
    await db.query(`UPDATE reservation SET expire_time = now() - interval '1 minute' WHERE request_id = ?`, [write.requestIds[0]]);
    const inputs = await readOnPool({
      requestIds: [...write.requestIds, "never-seen"], skus: [b.sku, a.sku], warehouseIds: [a.warehouseId, "no-such-warehouse"],
      now: new Date(), expiredHoldsMax: 10, lock: false,
    });
    expect([...inputs.answers.keys()]).toEqual(write.requestIds);
    expect(inputs.answers.get(write.requestIds[0]!)?.response).toEqual(Buffer.from([1, 2, 3]));
    expect(inputs.stock.map((s) => [s.sku, s.onHand, s.reserved])).toEqual([[a.sku, 4, 1], [b.sku, 6, 0]].sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)));
    expect(inputs.expiredHoldIds).toEqual([write.reservations[0]!.reservation.reservationId]);
    expect([...inputs.knownWarehouseIds]).toEqual([a.warehouseId]);
  });

  it("finds stored answers through the primary key after idempotency_key grew, on a connection that planned the read when it was small", async () => {
    const a = await stockedSku(server, 4);
    const write = reserving([{ ...a, units: 1 }]);
    const query: BatchQuery = { requestIds: write.requestIds, skus: [a.sku], warehouseIds: [], now: new Date(), expiredHoldsMax: 10, lock: false };
    // This connection's scans of idempotency_key not yet reported to the statistics: within one
    // transaction a count that only grows.
    const scans = async (s: SqlSession) => {
      const [row] = await s.query<{ seq: string; idx: string }>("test_idempotency_scans",
        `SELECT seq_scan AS seq, idx_scan AS idx FROM pg_stat_xact_user_tables WHERE relname = 'idempotency_key'`, []);
      return { seq: Number(row!.seq), idx: Number(row!.idx) };
    };
    const undo = new Error("undo the test's changes");
    const outcome = withPooledSession(db.orm, { transaction: true }, async (s) => {
      // As autovacuum leaves a young table: analyzed at 100 answers when the read is planned
      // (ANALYZE makes every connection plan it again), 20,000 more when it runs.
      const fill = (prefix: string, count: number) => s.query("test_fill_answers", `INSERT INTO idempotency_key (request_id, method, request_hash, response, create_time)
        SELECT ? || g, 'Reserve', 'h', '\\x00', now() FROM generate_series(1, ?::integer) g`, [prefix, count]);
      await s.query("test_empty_answers", "TRUNCATE idempotency_key", []);
      await fill("young-", 100);
      await s.query("test_analyze_answers", "ANALYZE idempotency_key", []);
      await readBatchInputs(s, query);
      await fill("grown-", 20_000);
      await writeBatch(s, write);
      const before = await scans(s);
      expect([...(await readBatchInputs(s, query)).answers.keys()]).toEqual(write.requestIds);
      const after = await scans(s);
      expect({ seq: after.seq - before.seq, indexScans: after.idx > before.idx }).toEqual({ seq: 0, indexScans: true });
      throw undo;
    });
    await expect(outcome).rejects.toBe(undo);
  });
});

describe("the expired-holds lookup", () => {
  it("walks the expired holds and checks each for the SKUs, instead of scanning every line of a SKU with a long history", async () => {
    const { sku, warehouseId } = await stockedSku(server, 100_000);
    await server.reservations.batchReserve({ requests: Array.from({ length: 1000 }, () => reserveRequest([{ sku, quantity: 1, warehouseId }])) });
    const query = expiredHoldsQuery(new Date(), 200, [sku]);
    const [plan] = await db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${query.sql}`, query.params);
    const text = JSON.stringify(plan!["QUERY PLAN"]);
    expect(text).toContain("SubPlan");
    expect(text).not.toContain("reservation_line_sku_idx");
  });
});

describe("textArray", () => {
  it("round-trips quotes, backslashes, commas, braces, spaces, the word NULL and the empty string through PostgreSQL", async () => {
    const values = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "", "ünï"];
    const [row] = await db.query<{ a: string[] }>(`SELECT ?::text[] AS a`, [textArray(values)]);
    expect(row!.a).toEqual(values);
    const [empty] = await db.query<{ n: number }>(`SELECT cardinality(?::text[]) AS n`, [textArray([])]);
    expect(empty!.n).toBe(0);
  });
});
