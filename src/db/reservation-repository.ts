// Reservation rows: writes in raw SQL (set-based, one statement each), reads through the ORM.
import { Reservation, ReservationLine } from "./entities.js";
import type { Em } from "./orm.js";
import type { LineRecord, ReservationRecord } from "../core/reservation.js";
import type { PriorityName, ReleaseReasonName, StateName } from "../core/commands.js";
import { priorityRank, type QueuedLine } from "../core/queue.js";
import { textArray } from "./sql-array.js";

/** Inserts a reservation and its lines in one statement; the lines copy its queue position. */
export async function insertReservation(em: Em, r: ReservationRecord & { requestId: string }, lines: LineRecord[]): Promise<void> {
  const insert = reservationInserts([{ reservation: r, lines }]);
  await em.execute(`WITH ${insert.ctes} SELECT 1`, insert.params);
}

export interface NewReservation { reservation: ReservationRecord & { requestId: string }; lines: LineRecord[] }

/**
 * The common table expressions that insert reservations and their lines (names res_input, res,
 * res_lines), with their parameters: for statements that write reservations among other rows.
 */
export function reservationInserts(list: NewReservation[]): { ctes: string; params: unknown[] } {
  return {
    ctes: `res_input AS (
       SELECT * FROM jsonb_to_recordset(?::jsonb) AS i(
         reservation_id uuid, request_id text, order_id text, customer_id text, channel text, priority text, state text,
         release_reason text, wait_for_stock boolean, expire_time timestamptz, create_time timestamptz, update_time timestamptz, ord integer, lines jsonb)
     ), res AS (
       INSERT INTO reservation (reservation_id, request_id, order_id, customer_id, channel, priority, state, release_reason,
                                wait_for_stock, expire_time, create_time, update_time)
       SELECT reservation_id, request_id, order_id, customer_id, channel, priority, state, release_reason, wait_for_stock, expire_time, create_time, update_time
         FROM res_input ORDER BY ord
       RETURNING reservation_id, seq, priority
     ), res_lines AS (
       INSERT INTO reservation_line (reservation_id, line_index, sku, warehouse_id, requested, reserved, waiting, expected_time, queue_rank, queue_seq)
       SELECT r.reservation_id, l.line_index, l.sku, l.warehouse_id, l.requested, l.reserved, l.waiting, l.expected_time,
              CASE WHEN r.priority = 'VIP' THEN ${priorityRank.VIP} ELSE ${priorityRank.STANDARD} END, r.seq
         FROM res r JOIN res_input i USING (reservation_id),
              jsonb_to_recordset(i.lines) AS l(line_index integer, sku text, warehouse_id text, requested bigint, reserved bigint,
                                               waiting bigint, expected_time timestamptz)
       RETURNING 1
     )`,
    params: [JSON.stringify(list.map(({ reservation: r, lines }, ord) => ({
      reservation_id: r.reservationId, request_id: r.requestId, order_id: r.orderId, customer_id: r.customerId, channel: r.channel,
      priority: r.priority, state: r.state, release_reason: r.releaseReason, wait_for_stock: r.waitForStock,
      expire_time: r.expireTime?.toISOString() ?? null, create_time: r.createTime.toISOString(), update_time: r.updateTime.toISOString(), ord,
      lines: lines.map((l) => ({
        line_index: l.lineIndex, sku: l.sku, warehouse_id: l.warehouseId, requested: l.requested, reserved: l.reserved,
        waiting: l.waiting, expected_time: l.expectedTime?.toISOString() ?? null,
      })),
    })))],
  };
}

type ReservationRow = {
  reservationId: string; orderId: string; customerId: string; channel: string; priority: string; state: string;
  releaseReason?: string | null; waitForStock: boolean; expireTime?: Date | null; createTime: Date; updateTime: Date;
};

function toRecord(row: ReservationRow): ReservationRecord {
  return {
    reservationId: row.reservationId,
    orderId: row.orderId,
    customerId: row.customerId,
    channel: row.channel,
    priority: row.priority as PriorityName,
    state: row.state as StateName,
    releaseReason: (row.releaseReason ?? null) as ReleaseReasonName | null,
    waitForStock: row.waitForStock,
    expireTime: row.expireTime ?? null,
    createTime: row.createTime,
    updateTime: row.updateTime,
  };
}

export async function findReservation(em: Em, reservationId: string): Promise<ReservationRecord | null> {
  const row = await em.findOne(Reservation, { reservationId }, { refresh: true });
  return row ? toRecord(row) : null;
}

/**
 * Locks reservations in id order (after any stock rows: the lock order is stock levels, then
 * reservations) and returns those still there. `skipLocked` passes over rows another
 * transaction holds.
 */
export async function lockReservations(em: Em, ids: string[], skipLocked = false): Promise<Map<string, ReservationRecord>> {
  const locked = new Map<string, ReservationRecord>();
  if (ids.length === 0) return locked;
  const rows = await em.execute<Record<string, unknown>[]>(
    `SELECT reservation_id, order_id, customer_id, channel, priority, state, release_reason, wait_for_stock, expire_time, create_time, update_time
       FROM reservation WHERE reservation_id = ANY(?::uuid[])
      ORDER BY reservation_id FOR UPDATE ${skipLocked ? "SKIP LOCKED" : ""}`,
    [textArray([...new Set(ids)].sort())],
  );
  for (const row of rows) {
    const record = toRecord({
      reservationId: row.reservation_id as string, orderId: row.order_id as string, customerId: row.customer_id as string,
      channel: row.channel as string, priority: row.priority as string, state: row.state as string,
      releaseReason: row.release_reason as string | null, waitForStock: row.wait_for_stock as boolean,
      expireTime: row.expire_time ? new Date(row.expire_time as string) : null,
      createTime: new Date(row.create_time as string), updateTime: new Date(row.update_time as string),
    });
    locked.set(record.reservationId, record);
  }
  return locked;
}

export async function findLines(em: Em, reservationIds: string[]): Promise<Map<string, LineRecord[]>> {
  const byReservation = new Map<string, LineRecord[]>();
  if (reservationIds.length === 0) return byReservation;
  const rows = await em.find(ReservationLine, { reservationId: { $in: reservationIds } }, { orderBy: { reservationId: "asc", lineIndex: "asc" }, refresh: true });
  for (const row of rows) {
    const list = byReservation.get(row.reservationId) ?? [];
    list.push({
      lineIndex: row.lineIndex, sku: row.sku, warehouseId: row.warehouseId, requested: row.requested, reserved: row.reserved,
      waiting: row.waiting, expectedTime: row.expectedTime ?? null,
    });
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

/** Moves a reservation to RELEASED and takes its lines out of the queue; the caller holds its lock. */
export async function markReleased(em: Em, reservationId: string, reason: ReleaseReasonName, time: Date): Promise<void> {
  await em.execute(
    `WITH r AS (
       UPDATE reservation SET state = 'RELEASED', release_reason = ?, update_time = ? WHERE reservation_id = ? AND state <> 'RELEASED'
     )
     UPDATE reservation_line SET live = false, waiting = 0, expected_time = NULL WHERE reservation_id = ?`,
    [reason, time, reservationId, reservationId],
  );
}

export async function setExpireTime(em: Em, reservationId: string, expireTime: Date | null, time: Date): Promise<void> {
  await em.execute(`UPDATE reservation SET expire_time = ?, update_time = ? WHERE reservation_id = ?`, [expireTime, time, reservationId]);
}

/** A change of one line's held units: positive fills it, negative demotes it (the units wait). */
export interface LineChange { reservationId: string; lineIndex: number; reservedDelta: number; expectedTime: Date | null }

/**
 * Applies line changes and sets each touched reservation's state from its lines (ACTIVE while
 * it holds a unit, PENDING otherwise); demoted reservations wait for stock from now on.
 */
export async function applyLineChanges(em: Em, changes: LineChange[], time: Date): Promise<void> {
  if (changes.length === 0) return;
  await em.execute(
    `WITH c AS (
       SELECT * FROM jsonb_to_recordset(?::jsonb) AS c(reservation_id uuid, line_index integer, reserved_delta bigint, expected_time timestamptz)
     ), lines AS (
       UPDATE reservation_line l
          SET reserved = l.reserved + c.reserved_delta,
              waiting = l.waiting - c.reserved_delta,
              expected_time = CASE WHEN l.waiting - c.reserved_delta = 0 THEN NULL
                                   WHEN c.reserved_delta < 0 THEN c.expected_time ELSE l.expected_time END
         FROM c WHERE l.reservation_id = c.reservation_id AND l.line_index = c.line_index
       RETURNING l.reservation_id
     )
     SELECT count(*) FROM lines`,
    [JSON.stringify(changes.map((c) => ({ reservation_id: c.reservationId, line_index: c.lineIndex, reserved_delta: c.reservedDelta, expected_time: c.expectedTime?.toISOString() ?? null })))],
  );
  // A second statement, so it sees the lines as just updated.
  await em.execute(
    `UPDATE reservation r
        SET state = CASE WHEN EXISTS (SELECT 1 FROM reservation_line l WHERE l.reservation_id = r.reservation_id AND l.reserved > 0) THEN 'ACTIVE' ELSE 'PENDING' END,
            wait_for_stock = r.wait_for_stock OR EXISTS (SELECT 1 FROM reservation_line l WHERE l.reservation_id = r.reservation_id AND l.waiting > 0),
            update_time = ?
      WHERE r.reservation_id = ANY(?::uuid[]) AND r.state <> 'RELEASED'`,
    [time, textArray([...new Set(changes.map((c) => c.reservationId))])],
  );
}

interface RawQueued { reservation_id: string; line_index: number; queue_rank: number; queue_seq: string; units: string }

function toQueued(r: RawQueued): QueuedLine {
  return { reservationId: r.reservation_id, lineIndex: r.line_index, priority: r.queue_rank === 0 ? "VIP" : "STANDARD", seq: BigInt(r.queue_seq), units: Number(r.units) };
}

/** The head of a stock level's waiting queue: VIP first, then by arrival. */
export async function loadWaitingQueue(em: Em, sku: string, warehouseId: string, limit: number): Promise<QueuedLine[]> {
  const rows = await em.execute<RawQueued[]>(
    `SELECT reservation_id, line_index, queue_rank, queue_seq, waiting AS units FROM reservation_line
      WHERE sku = ? AND warehouse_id = ? AND live AND waiting > 0 ORDER BY queue_rank, queue_seq LIMIT ?`,
    [sku, warehouseId, limit],
  );
  return rows.map(toQueued);
}

/** Lines holding units at a stock level, in demotion order: standard before VIP, newest first. */
export async function loadHeldLines(em: Em, sku: string, warehouseId: string, limit: number): Promise<QueuedLine[]> {
  const rows = await em.execute<RawQueued[]>(
    `SELECT reservation_id, line_index, queue_rank, queue_seq, reserved AS units FROM reservation_line
      WHERE sku = ? AND warehouse_id = ? AND live AND reserved > 0 ORDER BY queue_rank DESC, queue_seq DESC LIMIT ?`,
    [sku, warehouseId, limit],
  );
  return rows.map(toQueued);
}

/** Holds past their expiry, oldest first; `skus` limits them to holds with a line of those SKUs. */
export async function findExpiredHolds(em: Em, now: Date, limit: number, skus?: string[]): Promise<string[]> {
  const query = expiredHoldsQuery(now, limit, skus);
  const rows = await em.execute<{ reservation_id: string }[]>(query.sql, query.params);
  return rows.map((r) => r.reservation_id);
}

/**
 * The query behind findExpiredHolds, for statements that read it among other things. It walks
 * the holds past their expiry (a partial index the sweeper keeps short) and checks each for a
 * line of the SKUs; OFFSET 0 keeps the planner from turning that check into a scan of every line
 * of the SKUs, which on a SKU with a long history (a flash sale) costs more the more it sells.
 */
export function expiredHoldsQuery(now: Date, limit: number, skus?: string[]): { sql: string; params: unknown[] } {
  return {
    sql: `SELECT r.reservation_id FROM reservation r
      WHERE r.state <> 'RELEASED' AND r.expire_time <= ?
        ${skus ? "AND EXISTS (SELECT 1 FROM reservation_line l WHERE l.reservation_id = r.reservation_id AND l.sku = ANY(?::text[]) OFFSET 0)" : ""}
      ORDER BY r.expire_time LIMIT ?`,
    params: skus ? [now, textArray(skus), limit] : [now, limit],
  };
}
