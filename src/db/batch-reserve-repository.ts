// The batch reserve's two statements: one read of everything a batch needs to decide, and one
// write of everything it decided. The write is a single statement: it writes whole, or undoes
// itself by raising SH001/SH002/SH003 when a stock guard, a request id or an expired hold finds
// the database moved on since the read (the caller reads again and retries). It takes the stock
// row locks last, so they are held for the update, the ledger entries and the commit only (the
// statement's own commit, when it runs outside a transaction).
import { runAgainReason, type RunAgainReason } from "./errors.js";
import type { StoredAnswer } from "./idempotency-repository.js";
import { expiredHoldsQuery, reservationInserts, type NewReservation } from "./reservation-repository.js";
import { stockColumns, toStockRow, type LedgerPart, type RawStockRow, type StockRow } from "./stock-repository.js";
import type { SqlSession } from "./prepared.js";
import { textArray } from "./sql-array.js";
import { stockKey } from "../core/stock.js";

export interface BatchInputs {
  /** Stored answers of the requests already answered, by request id. */
  answers: Map<string, StoredAnswer>;
  /** Stock levels of the SKUs, sorted by key. */
  stock: StockRow[];
  /** Holds on these SKUs past their expiry, oldest first, at most the limit asked for. */
  expiredHoldIds: string[];
  /** The named warehouses that exist. */
  knownWarehouseIds: Set<string>;
}

export interface BatchQuery {
  requestIds: string[];
  skus: string[];
  warehouseIds: string[];
  now: Date;
  expiredHoldsMax: number;
  /** Lock the stock levels, in key order, until the surrounding transaction ends. */
  lock: boolean;
}

/**
 * Everything a batch decides on, from one snapshot, in one round trip. The stored answers come
 * through stockhold_stored_answers(), whose plan cannot go stale as idempotency_key grows.
 */
export async function readBatchInputs(session: SqlSession, q: BatchQuery): Promise<BatchInputs> {
  const expired = expiredHoldsQuery(q.now, q.expiredHoldsMax, q.skus);
  const rows = await session.query<{ answers: RawAnswer[]; stock: RawStockRow[]; expired: string[]; warehouses: string[] }>(
    q.lock ? "stockhold_batch_read_locked" : "stockhold_batch_read",
    `SELECT
       stockhold_stored_answers(?::text[]) AS answers,
       (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.sku COLLATE "C", s.warehouse_id COLLATE "C"), '[]'::jsonb)
          FROM (SELECT ${stockColumns} FROM stock_level WHERE sku = ANY(?::text[])
                 ORDER BY sku COLLATE "C", warehouse_id COLLATE "C" ${q.lock ? "FOR UPDATE" : ""}) s) AS stock,
       (SELECT coalesce(jsonb_agg(h.reservation_id), '[]'::jsonb) FROM (${expired.sql}) h) AS expired,
       (SELECT coalesce(jsonb_agg(w.warehouse_id), '[]'::jsonb)
          FROM warehouse w WHERE w.warehouse_id = ANY(?::text[])) AS warehouses`,
    [textArray(q.requestIds), textArray(q.skus), ...expired.params, textArray(q.warehouseIds)],
  );
  const row = rows[0]!;
  return {
    answers: new Map(row.answers.map((a) => [a.request_id, { method: a.method, requestHash: a.request_hash, response: Buffer.from(a.response, "base64") }])),
    stock: row.stock.map(toStockRow),
    expiredHoldIds: row.expired,
    knownWarehouseIds: new Set(row.warehouses),
  };
}

interface RawAnswer { request_id: string; method: string; request_hash: string; response: string }

/** One stock level's change in a batch: its ledger parts, and how many units are VIP and standard. */
export interface LevelChange {
  key: { sku: string; warehouseId: string };
  parts: LedgerPart[];
  vip: number;
  standard: number;
  /** The version the batch decided on, when it must still be current (a decision on cached rows). */
  expectedVersion: number | null;
}

/** A stock level a decision looked at without changing it, and the version it saw. */
export interface SeenLevel { sku: string; warehouseId: string; version: number }

export type WriteOutcome = { kind: "written"; rows: StockRow[] } | { kind: RunAgainReason };

export interface BatchWrite {
  answers: (StoredAnswer & { requestId: string })[];
  reservations: NewReservation[];
  levels: LevelChange[];
  time: Date;
  /** The request id written on every ledger entry of the batch. */
  ledgerRequestId: string;
  /** Levels that must still be at the version seen (a decision on cached rows), else SH001. */
  unchangedLevels: SeenLevel[];
  /**
   * For a decision on cached rows: how many stock levels its SKUs had (written and unchanged
   * ones). A level added since (a new warehouse stocked) would change the choice: SH001.
   */
  seenLevelCount: number | null;
  /**
   * For a decision on cached rows, which saw no expired holds: if a hold on these SKUs has expired
   * by this time, SH003, so the batch reads and releases it first as a read would.
   */
  noExpiredHoldsAt: Date | null;
}

/**
 * Writes a batch in one statement: the answers, the reservations with their lines, and for each
 * stock level one guarded update and its ledger entries. Each level's VIP units come out of
 * on_hand - reserved, its standard units out of what is left above the held-back units. When a
 * request id was answered meanwhile, or a guard failed (or a level expected unchanged had
 * changed), it writes nothing and says which; otherwise it returns each changed stock level as
 * it is after the change.
 */
export async function writeBatch(session: SqlSession, w: BatchWrite): Promise<WriteOutcome> {
  const { sql, params } = batchWriteStatement(w);
  try {
    const result = await session.query<{ changed: RawStockRow[] }>("stockhold_batch_write", sql, params);
    return { kind: "written", rows: result[0]!.changed.map(toStockRow) };
  } catch (error) {
    const reason = runAgainReason(error);
    if (reason) return { kind: reason };
    throw error;
  }
}

/** The stock columns the write returns, of its updated rows `s`. */
const changedColumns = stockColumns.split(", ").map((c) => `s.${c}`).join(", ");

/** The statement writeBatch prepares (its text is the same for every batch), and its parameters. */
export function batchWriteStatement(w: BatchWrite): { sql: string; params: unknown[] } {
  const reservations = reservationInserts(w.reservations);
  // Each entry records the counters as they stand after it: the level's final figure minus the
  // units of the entries after it.
  const entries = w.levels.flatMap((level) => {
    const total = level.parts.reduce((s, p) => s + p.reservedDelta, 0);
    let soFar = 0;
    return level.parts.map((p) => {
      soFar += p.reservedDelta;
      return { sku: level.key.sku, warehouse_id: level.key.warehouseId, kind: p.kind, reservation_id: p.reservationId, reserved_delta: p.reservedDelta, reserved_back: total - soFar, payload: p.payload };
    });
  }).map((e, ord) => ({ ...e, ord }));
  const levelSkus = [...new Set(w.levels.map((l) => l.key.sku))];
  const skus = textArray(levelSkus);
  const expired = expiredHoldsQuery(w.noExpiredHoldsAt ?? w.time, 1, levelSkus);
  return {
    sql: `WITH answer_input AS (
         SELECT * FROM jsonb_to_recordset(?::jsonb) AS a(request_id text, method text, request_hash text, response text)
       ), answers AS (
         INSERT INTO idempotency_key (request_id, method, request_hash, response, create_time)
         SELECT a.request_id, a.method, a.request_hash, decode(a.response, 'base64'), ? FROM answer_input a
          ORDER BY a.request_id -- one order for every batch, so twins in two batches cannot deadlock here
         ON CONFLICT (request_id) DO NOTHING RETURNING request_id
       ), level_input AS (
         SELECT * FROM jsonb_to_recordset(?::jsonb) AS l(sku text, warehouse_id text, vip bigint, standard bigint, version bigint)
       ), locked AS (
         -- Every row lock in key order, as every transaction takes them, before the update (which
         -- counts this CTE's rows, so all of them are locked first, not just the first one).
         SELECT s.sku FROM stock_level s JOIN level_input l ON s.sku = l.sku AND s.warehouse_id = l.warehouse_id
          WHERE s.sku = ANY(?::text[])
          ORDER BY s.sku COLLATE "C", s.warehouse_id COLLATE "C" FOR UPDATE OF s
       ), changed AS (
         UPDATE stock_level s
            SET reserved = s.reserved + l.vip + l.standard, version = s.version + 1, update_time = ?
           FROM level_input l
          WHERE s.sku = ANY(?::text[]) AND s.sku = l.sku AND s.warehouse_id = l.warehouse_id AND (SELECT count(*) FROM locked) > 0
            AND s.on_hand - s.reserved >= l.vip + l.standard
            AND (l.standard = 0 OR s.on_hand - s.reserved - GREATEST(s.safety_buffer, s.min_stock) - l.vip >= l.standard)
            AND (l.version IS NULL OR s.version = l.version)
         RETURNING ${changedColumns}
       ), entries AS (
         INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta,
                                   on_hand_after, reserved_after, reservation_id, request_id, payload)
         SELECT ?, e.kind, c.sku, c.warehouse_id, 0, e.reserved_delta, c.on_hand, c.reserved - e.reserved_back, e.reservation_id, ?, e.payload
           FROM changed c
           JOIN jsonb_to_recordset(?::jsonb) AS e(ord integer, sku text, warehouse_id text, kind text, reservation_id uuid,
                                                  reserved_delta bigint, reserved_back bigint, payload jsonb)
             ON e.sku = c.sku AND e.warehouse_id = c.warehouse_id
          ORDER BY e.ord
       ), ${reservations.ctes}
       -- In this order: answers, then reservations and lines, and only then the stock levels (their
       -- row locks, held until commit) and the ledger entries; unreferenced CTEs run last.
       SELECT CASE WHEN (SELECT count(*) FROM answers) <> ?::bigint THEN stockhold_run_again('SH002', 'a request id was answered meanwhile')
                   WHEN (SELECT count(*) FROM res_lines) < 0 THEN 0
                   WHEN (SELECT count(*) FROM changed) <> ?::bigint THEN stockhold_run_again('SH001', 'a stock guard failed')
                   WHEN EXISTS (SELECT 1 FROM jsonb_to_recordset(?::jsonb) AS u(sku text, warehouse_id text, version bigint)
                                  LEFT JOIN stock_level s ON s.sku = u.sku AND s.warehouse_id = u.warehouse_id
                                 WHERE s.version IS DISTINCT FROM u.version)
                     THEN stockhold_run_again('SH001', 'a stock level changed since it was read')
                   WHEN ?::bigint >= 0 AND (SELECT count(*) FROM stock_level s WHERE s.sku = ANY(?::text[])) <> ?::bigint
                     THEN stockhold_run_again('SH001', 'a stock level was added since it was read')
                   WHEN ?::boolean AND EXISTS (${expired.sql})
                     THEN stockhold_run_again('SH003', 'a hold on these SKUs has expired')
                   ELSE 0 END AS run_again,
              (SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]'::jsonb) FROM changed c) AS changed`,
    params: [
      JSON.stringify(w.answers.map((a) => ({ request_id: a.requestId, method: a.method, request_hash: a.requestHash, response: a.response.toString("base64") }))),
      w.time,
      JSON.stringify(w.levels.map((l) => ({ sku: l.key.sku, warehouse_id: l.key.warehouseId, vip: l.vip, standard: l.standard, version: l.expectedVersion }))),
      skus, w.time, skus, w.time, w.ledgerRequestId, JSON.stringify(entries),
      ...reservations.params,
      w.answers.length, w.levels.length,
      JSON.stringify(w.unchangedLevels.map((u) => ({ sku: u.sku, warehouse_id: u.warehouseId, version: u.version }))),
      w.seenLevelCount ?? -1, skus, w.seenLevelCount ?? -1,
      w.noExpiredHoldsAt !== null, ...expired.params,
    ],
  };
}
