// Builds API messages from database rows: the one place that knows both shapes.
import { Priority, ReleaseReason, ReservationState, type Reservation, type ReservationLine } from "../gen/inventory/v1/reservation.js";
import type { Availability, StockLevel, Warehouse } from "../gen/inventory/v1/stock.js";
import type { PriorityName, ReleaseReasonName, StateName } from "../core/commands.js";
import { availableUnits, type AvailabilityFigures } from "../core/stock.js";
import type { StockRowAfter } from "../db/stock-repository.js";

export interface ReservationRecord {
  reservationId: string;
  orderId: string;
  customerId: string;
  channel: string;
  priority: PriorityName;
  state: StateName;
  releaseReason: ReleaseReasonName | null;
  createTime: Date;
  updateTime: Date;
}

export interface LineRecord { lineIndex: number; sku: string; warehouseId: string; requested: number; reserved: number }

const priorityEnum: Record<PriorityName, Priority> = { STANDARD: Priority.PRIORITY_STANDARD, VIP: Priority.PRIORITY_VIP };
const stateEnum: Record<StateName, ReservationState> = {
  PENDING: ReservationState.RESERVATION_STATE_PENDING,
  ACTIVE: ReservationState.RESERVATION_STATE_ACTIVE,
  RELEASED: ReservationState.RESERVATION_STATE_RELEASED,
};
const releaseReasonEnum: Record<ReleaseReasonName, ReleaseReason> = {
  SHIPPED: ReleaseReason.RELEASE_REASON_SHIPPED,
  CANCELLED: ReleaseReason.RELEASE_REASON_CANCELLED,
};

export function reservationView(r: ReservationRecord, lines: LineRecord[]): Reservation {
  return {
    reservationId: r.reservationId,
    orderId: r.orderId,
    customerId: r.customerId,
    channel: r.channel,
    priority: priorityEnum[r.priority],
    state: stateEnum[r.state],
    releaseReason: r.releaseReason ? releaseReasonEnum[r.releaseReason] : ReleaseReason.RELEASE_REASON_UNSPECIFIED,
    lines: [...lines].sort((a, b) => a.lineIndex - b.lineIndex).map(lineView),
    createTime: r.createTime,
    updateTime: r.updateTime,
  };
}

function lineView(l: LineRecord): ReservationLine {
  return { sku: l.sku, warehouseId: l.warehouseId, requestedQuantity: String(l.requested), reservedQuantity: String(l.reserved) };
}

export function stockLevelView(s: StockRowAfter): StockLevel {
  return {
    sku: s.sku,
    warehouseId: s.warehouseId,
    onHand: String(s.onHand),
    reserved: String(s.reserved),
    safetyBuffer: String(s.safetyBuffer),
    available: String(availableUnits(s)),
    version: String(s.version),
    updateTime: s.updateTime,
  };
}

export function availabilityView(a: AvailabilityFigures): Availability {
  return {
    sku: a.sku,
    warehouseId: a.warehouseId,
    onHand: String(a.onHand),
    reserved: String(a.reserved),
    safetyBuffer: String(a.safetyBuffer),
    available: String(a.available),
  };
}

export function warehouseView(w: { warehouseId: string; displayName: string; region: string; createTime: Date }): Warehouse {
  return { warehouseId: w.warehouseId, displayName: w.displayName, region: w.region, createTime: w.createTime };
}
