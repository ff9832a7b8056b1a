// Turns an allocation plan into the reservation rows and the answer, for the single and the
// batch reserve paths alike.
import type { PlannedLine } from "../core/allocate.js";
import type { ReserveCommand } from "../core/commands.js";
import { expectedTime, liveState, type LineRecord, type ReservationRecord } from "../core/reservation.js";
import { stockKey } from "../core/stock.js";
import type { LedgerPart, StockRow } from "../db/stock-repository.js";
import type { ReserveResponse } from "../gen/inventory/v1/reservation_service.js";
import { reservationView } from "./views.js";

export interface PlannedReservation {
  reservation: ReservationRecord & { requestId: string };
  lines: LineRecord[];
  response: ReserveResponse;
}

export function planToReservation(
  cmd: ReserveCommand, plan: PlannedLine[], stock: Pick<StockRow, "sku" | "warehouseId" | "leadTimeMs">[], reservationId: string, time: Date,
): PlannedReservation {
  const leadTimes = new Map(stock.map((s) => [stockKey(s), s.leadTimeMs]));
  const lines: LineRecord[] = plan.map((p) => ({
    lineIndex: p.index, sku: p.sku, warehouseId: p.warehouseId, requested: p.requested, reserved: p.reserved, waiting: p.waiting,
    expectedTime: p.waiting > 0 ? expectedTime(time, leadTimes.get(stockKey(p)) ?? 0) : null,
  }));
  const reservation = {
    reservationId, requestId: cmd.requestId, orderId: cmd.orderId, customerId: cmd.customerId, channel: cmd.channel, priority: cmd.priority,
    state: liveState(lines), releaseReason: null, waitForStock: cmd.waitForStock,
    expireTime: cmd.ttlMs === null ? null : new Date(time.getTime() + cmd.ttlMs), createTime: time, updateTime: time,
  };
  return { reservation, lines, response: { reservation: reservationView(reservation, lines) } };
}

/** The ledger part of one planned line that holds units. */
export function reservePart(cmd: ReserveCommand, reservationId: string, line: PlannedLine): LedgerPart {
  return {
    kind: "RESERVE", reservationId, onHandDelta: 0, reservedDelta: line.reserved,
    payload: { order_id: cmd.orderId, priority: cmd.priority, requested: line.requested, line_index: line.index },
  };
}
