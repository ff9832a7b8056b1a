// Reservation rows: inserts on the hot path in raw SQL, reads through the ORM.
import { LockMode } from "@mikro-orm/core";
import { Reservation, ReservationLine } from "../db/entities.js";
import type { Em } from "./orm.js";
import type { LineRecord, ReservationRecord } from "../app/views.js";
import type { PriorityName, ReleaseReasonName, StateName } from "../core/commands.js";

export async function insertReservation(em: Em, r: ReservationRecord & { requestId: string }, lines: LineRecord[]): Promise<void> {
  await em.execute(
    `WITH r AS (
       INSERT INTO reservation (reservation_id, request_id, order_id, customer_id, channel, priority, state, release_reason, create_time, update_time)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     )
     INSERT INTO reservation_line (reservation_id, line_index, sku, warehouse_id, requested, reserved)
     SELECT ?::uuid, l.line_index, l.sku, l.warehouse_id, l.requested, l.reserved
       FROM jsonb_to_recordset(?::jsonb) AS l(line_index integer, sku text, warehouse_id text, requested bigint, reserved bigint)`,
    [
      r.reservationId, r.requestId, r.orderId, r.customerId, r.channel, r.priority, r.state, r.releaseReason, r.createTime, r.updateTime,
      r.reservationId,
      JSON.stringify(lines.map((l) => ({ line_index: l.lineIndex, sku: l.sku, warehouse_id: l.warehouseId, requested: l.requested, reserved: l.reserved }))),
    ],
  );
}

type ReservationRow = { reservationId: string; orderId: string; customerId: string; channel: string; priority: string; state: string; releaseReason?: string | null; createTime: Date; updateTime: Date };

function toRecord(row: ReservationRow): ReservationRecord {
  return {
    reservationId: row.reservationId,
    orderId: row.orderId,
    customerId: row.customerId,
    channel: row.channel,
    priority: row.priority as PriorityName,
    state: row.state as StateName,
    releaseReason: (row.releaseReason ?? null) as ReleaseReasonName | null,
    createTime: row.createTime,
    updateTime: row.updateTime,
  };
}

/** Loads one reservation; `lock` takes its row lock so state changes happen at most once. */
export async function findReservation(em: Em, reservationId: string, lock = false): Promise<ReservationRecord | null> {
  const row = await em.findOne(Reservation, { reservationId }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : {});
  return row ? toRecord(row) : null;
}

export async function findLines(em: Em, reservationIds: string[]): Promise<Map<string, LineRecord[]>> {
  const byReservation = new Map<string, LineRecord[]>();
  if (reservationIds.length === 0) return byReservation;
  const rows = await em.find(ReservationLine, { reservationId: { $in: reservationIds } }, { orderBy: { reservationId: "asc", lineIndex: "asc" } });
  for (const row of rows) {
    const list = byReservation.get(row.reservationId) ?? [];
    list.push({ lineIndex: row.lineIndex, sku: row.sku, warehouseId: row.warehouseId, requested: row.requested, reserved: row.reserved });
    byReservation.set(row.reservationId, list);
  }
  return byReservation;
}

export interface ReservationFilter { orderId: string | null; sku: string | null; state: StateName | null }

/** One page of reservations in creation order, after the given seq; fetches limit rows. */
export async function listReservations(em: Em, filter: ReservationFilter, afterSeq: string | null, limit: number): Promise<(ReservationRecord & { seq: string })[]> {
  const qb = em.createQueryBuilder(Reservation, "r").select("*").orderBy({ seq: "asc" }).limit(limit);
  if (filter.orderId !== null) qb.andWhere({ orderId: filter.orderId });
  if (filter.state !== null) qb.andWhere({ state: filter.state });
  if (afterSeq !== null) qb.andWhere({ seq: { $gt: afterSeq } });
  if (filter.sku !== null) qb.andWhere("exists (select 1 from reservation_line l where l.reservation_id = r.reservation_id and l.sku = ?)", [filter.sku]);
  const rows = await qb.getResultList();
  return rows.map((row) => ({ ...toRecord(row), seq: String(row.seq) }));
}

/** Moves an ACTIVE or PENDING reservation to RELEASED; the caller holds its row lock. */
export async function markReleased(em: Em, reservationId: string, reason: ReleaseReasonName, time: Date): Promise<void> {
  await em.execute(
    `UPDATE reservation SET state = 'RELEASED', release_reason = ?, update_time = ? WHERE reservation_id = ? AND state <> 'RELEASED'`,
    [reason, time, reservationId],
  );
}
