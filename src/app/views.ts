// Builds API messages from records: the one place that knows both shapes.
import { Priority, ReleaseReason, ReservationState, type Reservation, type ReservationLine } from "../gen/inventory/v1/reservation.js";
import { AlertKind, type Alert, type Availability, type StockLevel, type StockPolicy, type Warehouse } from "../gen/inventory/v1/stock.js";
import type { Duration } from "../gen/google/protobuf/duration.js";
import type { PriorityName, ReleaseReasonName, StateName } from "../core/commands.js";
import { summarize, type LineRecord, type ReservationRecord } from "../core/reservation.js";
import { availableUnits, type AvailabilityFigures } from "../core/stock.js";
import type { StockRow } from "../db/stock-repository.js";
import type { AlertRow } from "../db/alert-repository.js";

const priorityEnum: Record<PriorityName, Priority> = { STANDARD: Priority.PRIORITY_STANDARD, VIP: Priority.PRIORITY_VIP };
const stateEnum: Record<StateName, ReservationState> = {
  PENDING: ReservationState.RESERVATION_STATE_PENDING,
  ACTIVE: ReservationState.RESERVATION_STATE_ACTIVE,
  RELEASED: ReservationState.RESERVATION_STATE_RELEASED,
};
const releaseReasonEnum: Record<ReleaseReasonName, ReleaseReason> = {
  SHIPPED: ReleaseReason.RELEASE_REASON_SHIPPED,
  CANCELLED: ReleaseReason.RELEASE_REASON_CANCELLED,
  EXPIRED: ReleaseReason.RELEASE_REASON_EXPIRED,
};

export function reservationView(r: ReservationRecord, lines: LineRecord[]): Reservation {
  const sorted = [...lines].sort((a, b) => a.lineIndex - b.lineIndex);
  return {
    reservationId: r.reservationId,
    orderId: r.orderId,
    customerId: r.customerId,
    channel: r.channel,
    priority: priorityEnum[r.priority],
    state: stateEnum[r.state],
    releaseReason: r.releaseReason ? releaseReasonEnum[r.releaseReason] : ReleaseReason.RELEASE_REASON_UNSPECIFIED,
    lines: sorted.map(lineView),
    createTime: r.createTime,
    updateTime: r.updateTime,
    expireTime: r.expireTime ?? undefined,
    waitForStock: r.waitForStock,
    summary: summarize(r, sorted),
  };
}

function lineView(l: LineRecord): ReservationLine {
  return {
    sku: l.sku,
    warehouseId: l.warehouseId,
    requestedQuantity: String(l.requested),
    reservedQuantity: String(l.reserved),
    waitingQuantity: String(l.waiting),
    expectedAvailabilityTime: l.waiting > 0 ? (l.expectedTime ?? undefined) : undefined,
  };
}

export function stockLevelView(s: StockRow): StockLevel {
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

export function durationOf(ms: number): Duration {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

export function stockPolicyView(s: StockRow): StockPolicy {
  return {
    sku: s.sku,
    warehouseId: s.warehouseId,
    minStock: String(s.minStock),
    leadTime: durationOf(s.leadTimeMs),
    autoActivate: s.autoActivate,
    safetyBuffer: String(s.safetyBuffer),
    updateTime: s.policyUpdateTime ?? s.updateTime,
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
    vipAvailable: String(a.vipAvailable),
    minStock: String(a.minStock),
    waiting: String(a.waiting),
  };
}

export function warehouseView(w: { warehouseId: string; displayName: string; region: string; createTime: Date }): Warehouse {
  return { warehouseId: w.warehouseId, displayName: w.displayName, region: w.region, createTime: w.createTime };
}

export function alertView(a: AlertRow): Alert {
  return {
    alertId: a.alertId,
    kind: AlertKind.ALERT_KIND_RESERVATIONS_AT_RISK,
    sku: a.sku,
    warehouseId: a.warehouseId,
    unitsShort: String(a.unitsShort),
    affectedReservations: a.affected.map((x) => ({ reservationId: x.reservationId, orderId: x.orderId, demotedQuantity: String(x.units) })),
    message: a.message,
    createTime: a.createTime,
  };
}
