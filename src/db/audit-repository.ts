// Reads for the ledger audit and reconciliation: keyset-paginated, so every loop is bounded.
import type { Em } from "./orm.js";
import type { StoredEntry } from "../core/ledger-chain.js";
import type { Witnesses } from "../core/reconcile.js";

export interface StockKey { sku: string; warehouseId: string }

/** Stock levels and ledger chains after `after`, in key order. */
export async function listAuditKeys(em: Em, after: StockKey | null, limit: number): Promise<StockKey[]> {
  const rows = await em.execute<{ sku: string; warehouse_id: string }[]>(
    `SELECT sku, warehouse_id FROM (SELECT sku, warehouse_id FROM stock_level UNION SELECT sku, warehouse_id FROM ledger_chain
                                    UNION SELECT DISTINCT sku, warehouse_id FROM ledger_entry) k
      WHERE (sku, warehouse_id) > (?, ?) ORDER BY sku, warehouse_id LIMIT ?`,
    [after?.sku ?? "", after?.warehouseId ?? "", limit],
  );
  return rows.map((r) => ({ sku: r.sku, warehouseId: r.warehouse_id }));
}

export async function readLedgerPage(em: Em, key: StockKey, afterSeq: string, limit: number): Promise<StoredEntry[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `SELECT seq::text AS seq, ((extract(epoch FROM entry_time) * 1000000)::bigint)::text AS epoch_micros, kind, sku, warehouse_id,
            on_hand_delta::text AS on_hand_delta, reserved_delta::text AS reserved_delta, on_hand_after::text AS on_hand_after,
            reserved_after::text AS reserved_after, coalesce(reservation_id::text, '') AS reservation_id, request_id, payload::text AS payload,
            prev_hash, hash
       FROM ledger_entry WHERE sku = ? AND warehouse_id = ? AND seq > ?::bigint ORDER BY ledger_entry.seq LIMIT ?`,
    [key.sku, key.warehouseId, afterSeq, limit],
  );
  return rows.map((r) => ({
    seq: r.seq as string, epochMicros: r.epoch_micros as string, kind: r.kind as string, sku: r.sku as string, warehouseId: r.warehouse_id as string,
    onHandDelta: r.on_hand_delta as string, reservedDelta: r.reserved_delta as string, onHandAfter: r.on_hand_after as string,
    reservedAfter: r.reserved_after as string, reservationId: r.reservation_id as string, requestId: r.request_id as string,
    payload: r.payload as string, prevHash: Buffer.from(r.prev_hash as Buffer), hash: Buffer.from(r.hash as Buffer),
  }));
}

export async function readChainHead(em: Em, key: StockKey): Promise<{ head: Buffer; count: number } | null> {
  const rows = await em.execute<{ head: Buffer; entry_count: string }[]>(
    `SELECT head, entry_count FROM ledger_chain WHERE sku = ? AND warehouse_id = ?`, [key.sku, key.warehouseId]);
  const row = rows[0];
  return row ? { head: Buffer.from(row.head), count: Number(row.entry_count) } : null;
}

export async function readCounters(em: Em, key: StockKey): Promise<{ onHand: bigint; reserved: bigint } | null> {
  const rows = await em.execute<{ on_hand: string; reserved: string }[]>(
    `SELECT on_hand::text AS on_hand, reserved::text AS reserved FROM stock_level WHERE sku = ? AND warehouse_id = ?`, [key.sku, key.warehouseId]);
  const row = rows[0];
  return row ? { onHand: BigInt(row.on_hand), reserved: BigInt(row.reserved) } : null;
}

export interface WitnessRow extends StockKey, Witnesses {}

const witnessSelect = `
  SELECT s.sku, s.warehouse_id, s.on_hand, s.reserved,
         COALESCE((SELECT sum(l.reserved) FROM reservation_line l JOIN reservation r USING (reservation_id)
                    WHERE l.sku = s.sku AND l.warehouse_id = s.warehouse_id AND l.live AND r.state = 'ACTIVE'), 0) AS lines_reserved,
         COALESCE((SELECT sum(e.on_hand_delta) FROM ledger_entry e WHERE e.sku = s.sku AND e.warehouse_id = s.warehouse_id), 0) AS ledger_on_hand,
         COALESCE((SELECT sum(e.reserved_delta) FROM ledger_entry e WHERE e.sku = s.sku AND e.warehouse_id = s.warehouse_id), 0) AS ledger_reserved
    FROM stock_level s`;

function toWitness(r: Record<string, unknown>): WitnessRow {
  return {
    sku: r.sku as string, warehouseId: r.warehouse_id as string,
    counterOnHand: Number(r.on_hand), counterReserved: Number(r.reserved), linesReserved: Number(r.lines_reserved),
    ledgerOnHand: Number(r.ledger_on_hand), ledgerReserved: Number(r.ledger_reserved),
  };
}

/** The three witnesses of a page of stock levels, read without locks (a first pass). */
export async function readWitnessPage(em: Em, after: StockKey | null, limit: number): Promise<WitnessRow[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `${witnessSelect} WHERE (s.sku, s.warehouse_id) > (?, ?) ORDER BY s.sku, s.warehouse_id LIMIT ?`,
    [after?.sku ?? "", after?.warehouseId ?? "", limit],
  );
  return rows.map(toWitness);
}

/** The witnesses of one stock level, with its row lock: nothing can change them until commit. */
export async function lockWitnesses(em: Em, key: StockKey): Promise<WitnessRow | null> {
  await em.execute(`SELECT 1 FROM stock_level WHERE sku = ? AND warehouse_id = ? FOR UPDATE`, [key.sku, key.warehouseId]);
  const rows = await em.execute<Record<string, unknown>[]>(`${witnessSelect} WHERE s.sku = ? AND s.warehouse_id = ?`, [key.sku, key.warehouseId]);
  return rows[0] ? toWitness(rows[0]) : null;
}

/**
 * Appends a RECONCILE entry. `setReserved` first sets the counter (a restore, recorded with
 * zero deltas); otherwise the entry carries the delta that brings the ledger level with the
 * counters, which it leaves alone.
 */
export async function appendReconcileEntry(
  em: Em, key: StockKey, change: { reservedDelta: number; setReserved: number | null }, payload: Record<string, unknown>, requestId: string, time: Date,
): Promise<void> {
  await em.execute(
    `WITH s AS (
       UPDATE stock_level SET reserved = COALESCE(?::bigint, reserved), version = version + 1, update_time = ?
        WHERE sku = ? AND warehouse_id = ? RETURNING sku, warehouse_id, on_hand, reserved
     )
     INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reservation_id, request_id, payload)
     SELECT ?, 'RECONCILE', sku, warehouse_id, 0, ?::bigint, on_hand, reserved, NULL, ?, ?::jsonb FROM s`,
    [change.setReserved, time, key.sku, key.warehouseId, time, change.reservedDelta, requestId, JSON.stringify(payload)],
  );
}

export async function insertReconciliationRun(
  em: Em, run: { runId: string; startTime: Date; finishTime: Date; stockLevels: number; exact: number; repaired: number; unexplained: number; accuracy: number },
): Promise<void> {
  await em.execute(
    `INSERT INTO reconciliation_run (run_id, start_time, finish_time, stock_levels, exact, repaired, unexplained, accuracy) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [run.runId, run.startTime, run.finishTime, run.stockLevels, run.exact, run.repaired, run.unexplained, run.accuracy],
  );
}
