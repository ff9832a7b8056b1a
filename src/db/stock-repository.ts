// The SQL the ORM cannot express: guarded counter updates, each writing its ledger entry in the
// same statement so the row lock is held for one round trip (design.md, Concurrency).
// Lists travel as one JSON parameter: knex expands a JS array parameter into a value list.
import type { Em } from "./orm.js";
import type { StockCounters } from "../core/stock.js";

export type LedgerKind = "SET_STOCK" | "ADJUST_STOCK" | "RESERVE" | "RELEASE_SHIPPED" | "RELEASE_CANCELLED";

export interface LedgerContext {
  kind: LedgerKind;
  requestId: string;
  reservationId: string | null;
  payload: Record<string, unknown>;
  time: Date;
}

/** What a guarded update must find before it changes a row. */
export type StockGuard =
  /** on_hand - reserved - safety_buffer covers the reserved increase. */
  | "available_covers_reserve"
  /** on_hand stays at or above reserved (and so at or above 0). */
  | "on_hand_covers_reserved"
  /** No check beyond the table's CHECK constraints: a violation there is a bug. */
  | "constraints_only";

const guards: Record<StockGuard, string> = {
  available_covers_reserve: "AND on_hand - reserved - safety_buffer >= ?::bigint",
  on_hand_covers_reserved: "AND on_hand + ?::bigint >= reserved",
  constraints_only: "AND ?::bigint IS NOT NULL",
};

export interface StockRowAfter extends StockCounters { version: number; updateTime: Date }

interface RawStockRow {
  sku: string;
  warehouse_id: string;
  on_hand: string | number;
  reserved: string | number;
  safety_buffer: string | number;
  version: string | number;
  update_time: Date | string;
}

function toStockRow(r: RawStockRow): StockRowAfter {
  return {
    sku: r.sku,
    warehouseId: r.warehouse_id,
    onHand: Number(r.on_hand),
    reserved: Number(r.reserved),
    safetyBuffer: Number(r.safety_buffer),
    version: Number(r.version),
    updateTime: new Date(r.update_time),
  };
}

/**
 * Changes one stock level's counters if the guard holds, and appends its ledger entry, in one
 * statement. Returns the row after the change, or null when the guard failed (nothing written).
 */
export async function applyStockDelta(
  em: Em,
  change: { sku: string; warehouseId: string; onHandDelta: number; reservedDelta: number; guard: StockGuard },
  ledger: LedgerContext,
): Promise<StockRowAfter | null> {
  const guardParam = change.guard === "available_covers_reserve" ? change.reservedDelta : change.onHandDelta;
  const rows = await em.execute<RawStockRow[]>(
    `WITH changed AS (
       UPDATE stock_level
          SET on_hand = on_hand + ?::bigint, reserved = reserved + ?::bigint, version = version + 1, update_time = ?
        WHERE sku = ? AND warehouse_id = ? ${guards[change.guard]}
        RETURNING sku, warehouse_id, on_hand, reserved, safety_buffer, version, update_time
     ), entry AS (
       INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta,
                                 on_hand_after, reserved_after, reservation_id, request_id, payload)
       SELECT ?, ?, sku, warehouse_id, ?::bigint, ?::bigint, on_hand, reserved, ?::uuid, ?, ?::jsonb FROM changed
     )
     SELECT * FROM changed`,
    [
      change.onHandDelta, change.reservedDelta, ledger.time, change.sku, change.warehouseId, guardParam,
      ledger.time, ledger.kind, change.onHandDelta, change.reservedDelta, ledger.reservationId, ledger.requestId,
      JSON.stringify(ledger.payload),
    ],
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

/** Reads stock levels without locking them: a snapshot for decisions the guards re-check. */
export async function readStockLevels(em: Em, skus: string[], lock = false): Promise<StockRowAfter[]> {
  if (skus.length === 0) return [];
  const rows = await em.execute<RawStockRow[]>(
    `SELECT sku, warehouse_id, on_hand, reserved, safety_buffer, version, update_time
       FROM stock_level WHERE sku IN (SELECT jsonb_array_elements_text(?::jsonb)) ORDER BY sku, warehouse_id ${lock ? "FOR UPDATE" : ""}`,
    [JSON.stringify(skus)],
  );
  return rows.map(toStockRow);
}

export async function readStockLevel(em: Em, sku: string, warehouseId: string, lock = false): Promise<StockRowAfter | null> {
  const rows = await em.execute<RawStockRow[]>(
    `SELECT sku, warehouse_id, on_hand, reserved, safety_buffer, version, update_time
       FROM stock_level WHERE sku = ? AND warehouse_id = ? ${lock ? "FOR UPDATE" : ""}`,
    [sku, warehouseId],
  );
  return rows[0] ? toStockRow(rows[0]) : null;
}

/** The subset of the given warehouse ids that exist. */
export async function existingWarehouseIds(em: Em, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await em.execute<{ warehouse_id: string }[]>(
    `SELECT warehouse_id FROM warehouse WHERE warehouse_id IN (SELECT jsonb_array_elements_text(?::jsonb))`,
    [JSON.stringify(ids)],
  );
  return new Set(rows.map((r) => r.warehouse_id));
}
