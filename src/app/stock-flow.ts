// The moves every stock change shares, inside the caller's transaction: fill waiting orders when
// units free up, demote reservations when stock left physically, release a reservation.
// Lock order everywhere: stock levels (sorted by sku, warehouse), then reservations (by id).
import { ServiceError, orThrow } from "../core/failure.js";
import { planDemotion, planFill } from "../core/queue.js";
import { decideRelease } from "../core/release.js";
import { expectedTime, isExpired, type LineRecord, type ReservationRecord } from "../core/reservation.js";
import { compareStockKeys } from "../core/stock.js";
import type { ReleaseReasonName } from "../core/commands.js";
import type { Em } from "../db/orm.js";
import { insertAlert } from "../db/alert-repository.js";
import { applyLineChanges, findLines, loadHeldLines, loadWaitingQueue, lockReservations, markReleased } from "../db/reservation-repository.js";
import {
  applyStockDelta, ensureStockLevel, lockStockLevels, readStockLevel, type LedgerContext, type LedgerPart, type StockRow,
} from "../db/stock-repository.js";
import { addSales, salesDay } from "../db/sales-repository.js";
import { demotionBatchLinesMax, demotionRoundsMax, fillBatchLinesMax, fillRoundsMax } from "../limits.js";

export interface StockKey { sku: string; warehouseId: string }

export interface FillResult { units: number; reservationIds: string[] }

/**
 * Gives freed units at a stock level to its waiting lines, VIP first, then by arrival, in
 * bounded rounds. Skipped when the level's auto_activate is off, unless `force` (a planner).
 */
export async function fillWaiting(em: Em, key: StockKey, context: LedgerContext, force = false): Promise<FillResult> {
  const result: FillResult = { units: 0, reservationIds: [] };
  for (let round = 0; round < fillRoundsMax; round++) {
    const stock = await readStockLevel(em, key.sku, key.warehouseId, true);
    if (!stock || (!stock.autoActivate && !force)) break;
    const queue = await loadWaitingQueue(em, key.sku, key.warehouseId, fillBatchLinesMax);
    const grants = planFill(stock, queue);
    if (grants.length === 0) break;
    const locked = await lockReservations(em, grants.map((g) => g.reservationId));
    const live = grants.filter((g) => locked.get(g.reservationId)?.state !== "RELEASED" && locked.has(g.reservationId));
    await applyLineChanges(em, live.map((g) => ({ reservationId: g.reservationId, lineIndex: g.lineIndex, reservedDelta: g.units, expectedTime: null })), context.time);
    await applyStockDelta(em, key, "constraints_only", live.map((g) => ({
      kind: "FILL", reservationId: g.reservationId, onHandDelta: 0, reservedDelta: g.units,
      payload: { line_index: g.lineIndex, order_id: locked.get(g.reservationId)!.orderId },
    })), context);
    for (const g of live) {
      result.units += g.units;
      if (!result.reservationIds.includes(g.reservationId)) result.reservationIds.push(g.reservationId);
    }
    if (queue.length < fillBatchLinesMax) break;
  }
  return result;
}

/**
 * Stock left physically and on_hand will fall below reserved: takes held units back from the
 * lowest-priority, newest lines (they wait again) and raises one alert naming them.
 * The caller holds the stock level's lock and then writes the on_hand change.
 */
async function demoteShortfall(em: Em, stock: StockRow, onHandAfter: number, context: LedgerContext): Promise<void> {
  const unitsShort = stock.reserved - onHandAfter;
  const affected = new Map<string, { reservationId: string; orderId: string; units: number }>();
  let reserved = stock.reserved;
  for (let round = 0; round < demotionRoundsMax && reserved > onHandAfter; round++) {
    const held = await loadHeldLines(em, stock.sku, stock.warehouseId, demotionBatchLinesMax);
    const { demotions } = planDemotion(onHandAfter, reserved, held);
    if (demotions.length === 0) break;
    const locked = await lockReservations(em, demotions.map((d) => d.reservationId));
    const waitingSince = expectedTime(context.time, stock.leadTimeMs);
    await applyLineChanges(em, demotions.map((d) => ({ reservationId: d.reservationId, lineIndex: d.lineIndex, reservedDelta: -d.units, expectedTime: waitingSince })), context.time);
    await applyStockDelta(em, stock, "constraints_only", demotions.map((d) => ({
      kind: "DEMOTE", reservationId: d.reservationId, onHandDelta: 0, reservedDelta: -d.units, payload: { line_index: d.lineIndex },
    })), context);
    for (const d of demotions) {
      const entry = affected.get(d.reservationId) ?? { reservationId: d.reservationId, orderId: locked.get(d.reservationId)?.orderId ?? "", units: 0 };
      entry.units += d.units;
      affected.set(d.reservationId, entry);
      reserved -= d.units;
    }
  }
  // I1 says the held lines sum to reserved, so they always cover the shortfall.
  if (reserved > onHandAfter) throw new Error(`stock level ${stock.sku}/${stock.warehouseId}: held lines do not cover reserved`);
  const orders = [...affected.values()];
  await insertAlert(em, {
    kind: "RESERVATIONS_AT_RISK", sku: stock.sku, warehouseId: stock.warehouseId, unitsShort, affected: orders,
    message: `${unitsShort} reserved units of ${stock.sku} in ${stock.warehouseId} left through another channel; ` +
      `${orders.length} reservation(s) wait again: ${orders.map((o) => `order ${o.orderId} (${o.units})`).join(", ")}`,
    requestId: context.requestId, time: context.time,
  });
}

/**
 * Changes on_hand by a signed delta. Below reserved, reservations are demoted first (never left
 * with reserved > on_hand); units added fill waiting orders.
 */
export async function changeOnHand(em: Em, key: StockKey, delta: number, part: Omit<LedgerPart, "onHandDelta" | "reservedDelta" | "reservationId">, context: LedgerContext): Promise<StockRow> {
  await ensureStockLevel(em, key.sku, key.warehouseId, context.time);
  const stock = (await readStockLevel(em, key.sku, key.warehouseId, true))!;
  const onHandAfter = stock.onHand + delta;
  if (onHandAfter < 0) {
    throw new ServiceError({
      reason: "INSUFFICIENT_ON_HAND",
      message: `SKU ${JSON.stringify(key.sku)} has ${stock.onHand} units on hand in ${key.warehouseId}; cannot remove ${-delta}`,
      metadata: { sku: key.sku, warehouse_id: key.warehouseId, on_hand: String(stock.onHand), delta: String(delta) },
    });
  }
  if (onHandAfter < stock.reserved) await demoteShortfall(em, stock, onHandAfter, context);
  const after = await applyStockDelta(em, key, "on_hand_covers_reserved", [{ ...part, reservationId: null, onHandDelta: delta, reservedDelta: 0 }], context);
  if (!after) throw new Error(`on_hand change of ${key.sku}/${key.warehouseId} refused after demotion`);
  if (delta > 0 && (await fillWaiting(em, key, context)).units > 0) return (await readStockLevel(em, key.sku, key.warehouseId))!;
  return after;
}

export interface Released { reservation: ReservationRecord; lines: LineRecord[] }

/**
 * Releases a reservation: its stock levels are locked first, then the reservation. Units freed
 * by a cancellation or expiry fill waiting orders in the same transaction. With `onlyIfExpired`
 * (the sweeper) it does nothing unless the hold is still live and past its expiry, and passes
 * over a reservation another transaction holds.
 */
export async function releaseReservation(
  em: Em, reservationId: string, reason: ReleaseReasonName, context: LedgerContext, onlyIfExpired = false,
): Promise<Released | null> {
  const before = (await findLines(em, [reservationId])).get(reservationId) ?? [];
  await lockStockLevels(em, before.map((l) => ({ sku: l.sku, warehouseId: l.warehouseId })));
  const reservation = (await lockReservations(em, [reservationId], onlyIfExpired)).get(reservationId);
  if (!reservation) {
    if (onlyIfExpired) return null;
    throw reservationNotFound(reservationId);
  }
  if (onlyIfExpired && !isExpired(reservation, context.time)) return null;
  const lines = (await findLines(em, [reservationId])).get(reservationId) ?? [];
  const deltas = orThrow(decideRelease(reservation, reason, lines));
  await markReleased(em, reservationId, reason, context.time);
  const kind = reason === "SHIPPED" ? "RELEASE_SHIPPED" : reason === "CANCELLED" ? "RELEASE_CANCELLED" : "RELEASE_EXPIRED";
  for (const delta of [...deltas].sort(compareStockKeys)) {
    const after = await applyStockDelta(em, delta, "constraints_only", [{
      kind, reservationId, onHandDelta: delta.onHandDelta, reservedDelta: delta.reservedDelta, payload: { order_id: reservation.orderId },
    }], context);
    if (!after) throw new Error(`stock level ${delta.sku}/${delta.warehouseId} of a held line is missing`);
  }
  if (reason !== "SHIPPED") for (const delta of deltas) await fillWaiting(em, delta, context);
  // Shipped units are sales: the forecast worker's history, written in the same transaction.
  else await addSales(em, deltas.map((d) => ({ sku: d.sku, warehouseId: d.warehouseId, day: salesDay(context.time), units: -d.onHandDelta })));
  return {
    reservation: { ...reservation, state: "RELEASED", releaseReason: reason, updateTime: context.time },
    lines: lines.map((l) => ({ ...l, waiting: 0, expectedTime: null })),
  };
}

export function reservationNotFound(reservationId: string): ServiceError {
  return new ServiceError({
    reason: "RESERVATION_NOT_FOUND",
    message: `reservation ${reservationId} does not exist`,
    metadata: { reservation_id: reservationId },
  });
}
