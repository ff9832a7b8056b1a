// The SQL the ORM cannot express: guarded counter updates, each writing its ledger entries in
// the same statement so the row lock is held for one round trip (design.md, Concurrency).
// Lists of records travel as one JSON parameter, lists of keys as an array literal (sql-array.ts):
// knex expands a JS array parameter into a value list.
import type { Em } from "./orm.js";
import type { StockCounters } from "../core/stock.js";
import { textArray } from "./sql-array.js";

export type LedgerKind =
  | "SET_STOCK" | "ADJUST_STOCK" | "RESERVE" | "RELEASE_SHIPPED" | "RELEASE_CANCELLED" | "RELEASE_EXPIRED" | "FILL" | "DEMOTE" | "POLICY";

/** What caused a change: written on every ledger entry it produces. */
export interface LedgerContext {
  requestId: string;
  time: Date;
}

/** One ledger entry's share of a counter change. */
export interface LedgerPart {
  kind: LedgerKind;
  reservationId: string | null;
  onHandDelta: number;
  reservedDelta: number;
  payload: Record<string, unknown>;
}

/** What a guarded update must find before it changes a row. */
export type StockGuard =
  /** on_hand stays at or above reserved (and so at or above 0). */
  | "on_hand_covers_reserved"
  /** No check beyond the table's CHECK constraints: a violation there is a bug. */
  | "constraints_only";

const guards: Record<StockGuard, string> = {
  on_hand_covers_reserved: "AND on_hand + ?::bigint >= reserved",
  constraints_only: "AND ?::bigint IS NOT NULL",
};

export interface StockRow extends StockCounters {
  leadTimeMs: number;
  autoActivate: boolean;
  version: number;
  updateTime: Date;
  policyUpdateTime: Date | null;
}

export const stockColumns = "sku, warehouse_id, on_hand, reserved, safety_buffer, min_stock, lead_time_ms, auto_activate, version, update_time, policy_update_time";

export interface RawStockRow {
  sku: string;
  warehouse_id: string;
  on_hand: string | number;
  reserved: string | number;
  safety_buffer: string | number;
  min_stock: string | number;
  lead_time_ms: string | number;
  auto_activate: boolean;
  version: string | number;
  update_time: Date | string;
  policy_update_time: Date | string | null;
}

export function toStockRow(r: RawStockRow): StockRow {
  return {
    sku: r.sku,
    warehouseId: r.warehouse_id,
    onHand: Number(r.on_hand),
    reserved: Number(r.reserved),
    safetyBuffer: Number(r.safety_buffer),
    minStock: Number(r.min_stock),
    leadTimeMs: Number(r.lead_time_ms),
    autoActivate: r.auto_activate,
    version: Number(r.version),
    updateTime: new Date(r.update_time),
    policyUpdateTime: r.policy_update_time === null ? null : new Date(r.policy_update_time),
  };
}

/**
 * Changes one stock level's counters by the sum of the parts if the guard holds, and appends
 * one ledger entry per part, in one statement. Returns the row after the change, or null when
 * the guard failed (nothing written).
 */
export async function applyStockDelta(
  em: Em,
  key: { sku: string; warehouseId: string },
  guard: StockGuard,
  parts: LedgerPart[],
  context: LedgerContext,
): Promise<StockRow | null> {
  const onHandDelta = parts.reduce((s, p) => s + p.onHandDelta, 0);
  const reservedDelta = parts.reduce((s, p) => s + p.reservedDelta, 0);
  // Each entry records the counters as they stand after it, in part order.
  let onHandSoFar = 0;
  let reservedSoFar = 0;
  const entries = parts.map((p, ord) => {
    onHandSoFar += p.onHandDelta;
    reservedSoFar += p.reservedDelta;
    return {
      ord, kind: p.kind, reservation_id: p.reservationId, on_hand_delta: p.onHandDelta, reserved_delta: p.reservedDelta,
      on_hand_back: onHandDelta - onHandSoFar, reserved_back: reservedDelta - reservedSoFar, payload: p.payload,
    };
  });
  const rows = await em.execute<RawStockRow[]>(
    `WITH changed AS (
       UPDATE stock_level
          SET on_hand = on_hand + ?::bigint, reserved = reserved + ?::bigint, version = version + 1, update_time = ?
        WHERE sku = ? AND warehouse_id = ? ${guards[guard]}
        RETURNING ${stockColumns}
     ), entry AS (
       INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta,
                                 on_hand_after, reserved_after, reservation_id, request_id, payload)
       SELECT ?, e.kind, c.sku, c.warehouse_id, e.on_hand_delta, e.reserved_delta,
              c.on_hand - e.on_hand_back, c.reserved - e.reserved_back, e.reservation_id, ?, e.payload
         FROM changed c,
              jsonb_to_recordset(?::jsonb) AS e(ord integer, kind text, reservation_id uuid, on_hand_delta bigint, reserved_delta bigint,
                                                on_hand_back bigint, reserved_back bigint, payload jsonb)
        ORDER BY e.ord
     )
     SELECT * FROM changed`,
    [onHandDelta, reservedDelta, context.time, key.sku, key.warehouseId, onHandDelta, context.time, context.requestId, JSON.stringify(entries)],
  );
  const row = rows[0];
  return row ? toStockRow(row) : null;
}

/** Creates the stock level with zero counters if it does not exist yet. */
export async function ensureStockLevel(em: Em, sku: string, warehouseId: string, time: Date): Promise<void> {
  await em.execute(
    `INSERT INTO stock_level (sku, warehouse_id, update_time) VALUES (?, ?, ?) ON CONFLICT (sku, warehouse_id) DO NOTHING`,
    [sku, warehouseId, time],
  );
}

/** Reads stock levels, sorted by key; `lock` takes their row locks in that order. */
export async function readStockLevels(em: Em, skus: string[], lock = false): Promise<StockRow[]> {
  if (skus.length === 0) return [];
  const rows = await em.execute<RawStockRow[]>(
    `SELECT ${stockColumns} FROM stock_level WHERE sku = ANY(?::text[])
      ORDER BY sku COLLATE "C", warehouse_id COLLATE "C" ${lock ? "FOR UPDATE" : ""}`,
    [textArray(skus)],
  );
  return rows.map(toStockRow);
}

/** Locks the given stock levels in key order (design.md: every transaction locks in one order). */
export async function lockStockLevels(em: Em, keys: { sku: string; warehouseId: string }[]): Promise<StockRow[]> {
  if (keys.length === 0) return [];
  const rows = await em.execute<RawStockRow[]>(
    `SELECT ${stockColumns} FROM stock_level
      WHERE (sku, warehouse_id) IN (SELECT k.sku, k.warehouse_id FROM jsonb_to_recordset(?::jsonb) AS k(sku text, warehouse_id text))
      ORDER BY sku COLLATE "C", warehouse_id COLLATE "C" FOR UPDATE`,
    [JSON.stringify(keys.map((k) => ({ sku: k.sku, warehouse_id: k.warehouseId })))],
  );
  return rows.map(toStockRow);
}

export async function readStockLevel(em: Em, sku: string, warehouseId: string, lock = false): Promise<StockRow | null> {
  const rows = await em.execute<RawStockRow[]>(
    `SELECT ${stockColumns} FROM stock_level WHERE sku = ? AND warehouse_id = ? ${lock ? "FOR UPDATE" : ""}`,
    [sku, warehouseId],
  );
  return rows[0] ? toStockRow(rows[0]) : null;
}

export interface PolicyChange { minStock: number; leadTimeMs: number; autoActivate: boolean; safetyBuffer: number }

/** Writes a stock level's policy; the caller holds its row lock and writes the ledger entry. */
export async function updatePolicy(em: Em, sku: string, warehouseId: string, policy: PolicyChange, time: Date): Promise<StockRow> {
  const rows = await em.execute<RawStockRow[]>(
    `UPDATE stock_level SET min_stock = ?, lead_time_ms = ?, auto_activate = ?, safety_buffer = ?, policy_update_time = ?, version = version + 1
      WHERE sku = ? AND warehouse_id = ? RETURNING ${stockColumns}`,
    [policy.minStock, policy.leadTimeMs, policy.autoActivate, policy.safetyBuffer, time, sku, warehouseId],
  );
  return toStockRow(rows[0]!);
}

/** The subset of the given warehouse ids that exist. */
export async function existingWarehouseIds(em: Em, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await em.execute<{ warehouse_id: string }[]>(
    `SELECT warehouse_id FROM warehouse WHERE warehouse_id = ANY(?::text[])`,
    [textArray(ids)],
  );
  return new Set(rows.map((r) => r.warehouse_id));
}

/** Per stock level of the SKUs: units of expired, unswept holds, and units waiting. */
export async function readHoldFigures(em: Em, skus: string[], now: Date): Promise<Map<string, { expiredReserved: number; waiting: number }>> {
  const figures = new Map<string, { expiredReserved: number; waiting: number }>();
  if (skus.length === 0) return figures;
  const rows = await em.execute<{ sku: string; warehouse_id: string; expired: string; waiting: string }[]>(
    `SELECT sku, warehouse_id, sum(expired)::bigint AS expired, sum(waiting)::bigint AS waiting FROM (
       SELECT l.sku, l.warehouse_id, l.reserved AS expired, 0 AS waiting
         FROM reservation r JOIN reservation_line l USING (reservation_id)
        WHERE r.state <> 'RELEASED' AND r.expire_time <= ? AND l.live AND l.reserved > 0
          AND l.sku = ANY(?::text[])
       UNION ALL
       SELECT l.sku, l.warehouse_id, 0, l.waiting
         FROM reservation_line l
        WHERE l.live AND l.waiting > 0 AND l.sku = ANY(?::text[])
     ) f GROUP BY sku, warehouse_id`,
    [now, textArray(skus), textArray(skus)],
  );
  for (const r of rows) figures.set(`${r.sku}\u0000${r.warehouse_id}`, { expiredReserved: Number(r.expired), waiting: Number(r.waiting) });
  return figures;
}
