// Parses wire requests into validated commands: plain data the decision functions can trust.
import { AdjustmentReason } from "../gen/inventory/v1/stock.js";
import { Priority, ReleaseReason, ReservationState } from "../gen/inventory/v1/reservation.js";
import type {
  CreateWarehouseRequest, SetStockRequest, AdjustStockRequest, GetAvailabilityRequest, BatchGetAvailabilityRequest,
  SetStockPolicyRequest, GetStockPolicyRequest, ListAlertsRequest,
} from "../gen/inventory/v1/inventory_service.js";
import type {
  ReserveRequest, ReleaseReservationRequest, ListReservationsRequest, GetReservationRequest, ExtendReservationRequest, ConfirmReservationRequest,
  BatchReserveRequest,
} from "../gen/inventory/v1/reservation_service.js";
import { fail, invalid, ok, type Result } from "./failure.js";
import * as f from "./fields.js";
import {
  batchAvailabilitySkusMax, channelLengthMax, displayNameLengthMax, orderIdLengthMax, pageSizeDefault,
  pageSizeMax, regionLengthMax, reserveLinesMax, batchReserveRequestsMax, ttlMsMin, ttlMsMax, leadTimeMsMax, policyReasonLengthMax,
} from "../limits.js";

export type PriorityName = "STANDARD" | "VIP";
export type ReleaseReasonName = "SHIPPED" | "CANCELLED" | "EXPIRED";
export type StateName = "PENDING" | "ACTIVE" | "RELEASED";
export type AdjustmentReasonName = "RECEIPT" | "EXTERNAL_SALE" | "DAMAGE" | "CORRECTION" | "RETURN";

export interface CreateWarehouseCommand { warehouseId: string; displayName: string; region: string }
export interface SetStockCommand { requestId: string; sku: string; warehouseId: string; onHand: number }
export interface AdjustStockCommand { requestId: string; sku: string; warehouseId: string; delta: number; reason: AdjustmentReasonName }
export interface AvailabilityQuery { skus: string[]; warehouseId: string | null }
export interface ReserveLineCommand { sku: string; quantity: number; warehouseId: string | null }
export interface ReserveCommand {
  requestId: string;
  orderId: string;
  customerId: string;
  channel: string;
  priority: PriorityName;
  allowPartial: boolean;
  waitForStock: boolean;
  /** Hold duration; null for a hold that never expires. */
  ttlMs: number | null;
  lines: ReserveLineCommand[];
}
export interface ExtendCommand { requestId: string; reservationId: string; ttlMs: number }
export interface ConfirmCommand { requestId: string; reservationId: string }
export interface SetStockPolicyCommand {
  requestId: string;
  sku: string;
  warehouseId: string;
  minStock: number | null;
  leadTimeMs: number | null;
  autoActivate: boolean | null;
  safetyBuffer: number | null;
  reason: string;
}
export interface StockKeyCommand { requestId: string; sku: string; warehouseId: string }
export interface ListAlertsQuery { sku: string | null; warehouseId: string | null; pageSize: number; pageToken: string }
export interface ReleaseCommand { requestId: string; reservationId: string; reason: ReleaseReasonName }
export interface ListReservationsQuery { orderId: string | null; sku: string | null; state: StateName | null; pageSize: number; pageToken: string }

function finish<T>(c: f.ViolationCollector, build: () => T): Result<T> {
  return c.violations.length > 0 ? fail(invalid(c.violations)) : ok(build());
}

export function parseCreateWarehouse(r: CreateWarehouseRequest): Result<CreateWarehouseCommand> {
  const c = new f.ViolationCollector();
  const warehouseId = c.take(f.warehouseId("warehouse_id", r.warehouseId));
  const displayName = c.take(f.text("display_name", r.displayName, displayNameLengthMax, false));
  const region = c.take(f.text("region", r.region, regionLengthMax, false));
  return finish(c, () => ({ warehouseId: warehouseId!, displayName: displayName!, region: region! }));
}

export function parseSetStock(r: SetStockRequest): Result<SetStockCommand> {
  const c = new f.ViolationCollector();
  const requestId = c.take(f.requestId("request_id", r.requestId));
  const sku = c.take(f.sku("sku", r.sku));
  const warehouseId = c.take(f.warehouseId("warehouse_id", r.warehouseId));
  const onHand = c.take(f.units("on_hand", r.onHand, 0));
  return finish(c, () => ({ requestId: requestId!, sku: sku!, warehouseId: warehouseId!, onHand: onHand! }));
}

const adjustmentReasons: Partial<Record<number, AdjustmentReasonName>> = {
  [AdjustmentReason.ADJUSTMENT_REASON_RECEIPT]: "RECEIPT",
  [AdjustmentReason.ADJUSTMENT_REASON_EXTERNAL_SALE]: "EXTERNAL_SALE",
  [AdjustmentReason.ADJUSTMENT_REASON_DAMAGE]: "DAMAGE",
  [AdjustmentReason.ADJUSTMENT_REASON_CORRECTION]: "CORRECTION",
  [AdjustmentReason.ADJUSTMENT_REASON_RETURN]: "RETURN",
};

/** The sign each adjustment reason requires of its delta; 0 means either sign. */
export const adjustmentSign: Record<AdjustmentReasonName, 1 | -1 | 0> = {
  RECEIPT: 1,
  RETURN: 1,
  EXTERNAL_SALE: -1,
  DAMAGE: -1,
  CORRECTION: 0,
};

export function parseAdjustStock(r: AdjustStockRequest): Result<AdjustStockCommand> {
  const c = new f.ViolationCollector();
  const requestId = c.take(f.requestId("request_id", r.requestId));
  const sku = c.take(f.sku("sku", r.sku));
  const warehouseId = c.take(f.warehouseId("warehouse_id", r.warehouseId));
  const delta = c.take(f.signedDelta("delta", r.delta));
  const reason = adjustmentReasons[r.reason];
  if (!reason) {
    c.add("reason", r.reason === 0 ? "FIELD_REQUIRED" : "FIELD_MALFORMED", "must be one of RECEIPT, EXTERNAL_SALE, DAMAGE, CORRECTION, RETURN");
  } else if (delta !== undefined && adjustmentSign[reason] !== 0 && Math.sign(delta) !== adjustmentSign[reason]) {
    c.add("delta", "FIELD_OUT_OF_RANGE", `must be ${adjustmentSign[reason] > 0 ? "positive" : "negative"} for reason ${reason}`);
  }
  return finish(c, () => ({ requestId: requestId!, sku: sku!, warehouseId: warehouseId!, delta: delta!, reason: reason! }));
}

export function parseGetAvailability(r: GetAvailabilityRequest): Result<AvailabilityQuery> {
  const c = new f.ViolationCollector();
  const sku = c.take(f.sku("sku", r.sku));
  const warehouseId = c.take(f.optionalWarehouseId("warehouse_id", r.warehouseId));
  return finish(c, () => ({ skus: [sku!], warehouseId: warehouseId ?? null }));
}

export function parseBatchGetAvailability(r: BatchGetAvailabilityRequest): Result<AvailabilityQuery> {
  const c = new f.ViolationCollector();
  if (r.skus.length === 0) c.add("skus", "FIELD_REQUIRED", "must name at least one SKU");
  if (r.skus.length > batchAvailabilitySkusMax) c.add("skus", "TOO_MANY_LINES", `must name at most ${batchAvailabilitySkusMax} SKUs`);
  const skus: string[] = [];
  const seen = new Set<string>();
  if (r.skus.length <= batchAvailabilitySkusMax) {
    r.skus.forEach((raw, i) => {
      const sku = c.take(f.sku(`skus[${i}]`, raw));
      if (sku === undefined) return;
      if (seen.has(sku)) c.add(`skus[${i}]`, "DUPLICATE_SKU_LINE", `repeats SKU ${JSON.stringify(sku)}`);
      seen.add(sku);
      skus.push(sku);
    });
  }
  const warehouseId = c.take(f.optionalWarehouseId("warehouse_id", r.warehouseId));
  return finish(c, () => ({ skus, warehouseId: warehouseId ?? null }));
}

const priorities: Partial<Record<number, PriorityName>> = {
  [Priority.PRIORITY_UNSPECIFIED]: "STANDARD",
  [Priority.PRIORITY_STANDARD]: "STANDARD",
  [Priority.PRIORITY_VIP]: "VIP",
};

export function parseReserve(r: ReserveRequest): Result<ReserveCommand> {
  const c = new f.ViolationCollector();
  const requestId = c.take(f.requestId("request_id", r.requestId));
  const orderId = c.take(f.text("order_id", r.orderId, orderIdLengthMax, true));
  const customerId = c.take(f.text("customer_id", r.customerId, orderIdLengthMax, false));
  const channel = c.take(f.text("channel", r.channel, channelLengthMax, false));
  const priority = priorities[r.priority];
  if (!priority) c.add("priority", "FIELD_MALFORMED", "must be PRIORITY_STANDARD or PRIORITY_VIP");
  const lines: ReserveLineCommand[] = [];
  if (r.lines.length === 0) c.add("lines", "FIELD_REQUIRED", "must hold at least one line");
  if (r.lines.length > reserveLinesMax) {
    // Validating thousands of lines one by one would only bury this violation.
    c.add("lines", "TOO_MANY_LINES", `must hold at most ${reserveLinesMax} lines`);
  } else {
    const seen = new Set<string>();
    r.lines.forEach((line, i) => {
      const sku = c.take(f.sku(`lines[${i}].sku`, line.sku));
      const quantity = c.take(f.units(`lines[${i}].quantity`, line.quantity, 1));
      const warehouseId = c.take(f.optionalWarehouseId(`lines[${i}].warehouse_id`, line.warehouseId));
      if (sku !== undefined && seen.has(sku)) c.add(`lines[${i}].sku`, "DUPLICATE_SKU_LINE", `repeats SKU ${JSON.stringify(sku)}; put all its units on one line`);
      if (sku !== undefined) seen.add(sku);
      if (sku !== undefined && quantity !== undefined && warehouseId !== undefined) lines.push({ sku, quantity, warehouseId });
    });
  }
  const ttlMs = r.ttl === undefined ? null : c.take(f.duration("ttl", r.ttl, ttlMsMin, ttlMsMax));
  return finish(c, () => ({
    requestId: requestId!, orderId: orderId!, customerId: customerId!, channel: channel!,
    priority: priority!, allowPartial: r.allowPartial, waitForStock: r.waitForStock === true, ttlMs: ttlMs ?? null, lines,
  }));
}

/** A batch: each request parsed on its own, so one bad request fails only itself. */
export function parseBatchReserve(r: BatchReserveRequest): Result<Result<ReserveCommand>[]> {
  if (r.requests.length === 0) return fail(invalid([{ field: "requests", reason: "FIELD_REQUIRED", description: "must hold at least one request" }]));
  if (r.requests.length > batchReserveRequestsMax) {
    return fail(invalid([{ field: "requests", reason: "TOO_MANY_LINES", description: `must hold at most ${batchReserveRequestsMax} requests` }]));
  }
  return ok(r.requests.map(parseReserve));
}

export function parseGetReservation(r: GetReservationRequest): Result<{ reservationId: string }> {
  const c = new f.ViolationCollector();
  const reservationId = c.take(reservationIdField("reservation_id", r.reservationId));
  return finish(c, () => ({ reservationId: reservationId! }));
}

const releaseReasons: Partial<Record<number, ReleaseReasonName>> = {
  [ReleaseReason.RELEASE_REASON_SHIPPED]: "SHIPPED",
  [ReleaseReason.RELEASE_REASON_CANCELLED]: "CANCELLED",
};

export function parseRelease(r: ReleaseReservationRequest): Result<ReleaseCommand> {
  const c = new f.ViolationCollector();
  const requestId = c.take(f.requestId("request_id", r.requestId));
  const reservationId = c.take(reservationIdField("reservation_id", r.reservationId));
  const reason = releaseReasons[r.reason];
  if (!reason) c.add("reason", r.reason === 0 ? "FIELD_REQUIRED" : "FIELD_MALFORMED", "must be RELEASE_REASON_SHIPPED or RELEASE_REASON_CANCELLED");
  return finish(c, () => ({ requestId: requestId!, reservationId: reservationId!, reason: reason! }));
}

export function parseExtend(r: ExtendReservationRequest): Result<ExtendCommand> {
  const c = new f.ViolationCollector();
  const requestId = c.take(f.requestId("request_id", r.requestId));
  const reservationId = c.take(reservationIdField("reservation_id", r.reservationId));
  const ttlMs = r.ttl === undefined
    ? (c.add("ttl", "FIELD_REQUIRED", "is required"), undefined)
    : c.take(f.duration("ttl", r.ttl, ttlMsMin, ttlMsMax));
  return finish(c, () => ({ requestId: requestId!, reservationId: reservationId!, ttlMs: ttlMs! }));
}

export function parseConfirm(r: ConfirmReservationRequest): Result<ConfirmCommand> {
  const c = new f.ViolationCollector();
  const requestId = c.take(f.requestId("request_id", r.requestId));
  const reservationId = c.take(reservationIdField("reservation_id", r.reservationId));
  return finish(c, () => ({ requestId: requestId!, reservationId: reservationId! }));
}

export function parseSetStockPolicy(r: SetStockPolicyRequest): Result<SetStockPolicyCommand> {
  const c = new f.ViolationCollector();
  const requestId = c.take(f.requestId("request_id", r.requestId));
  const sku = c.take(f.sku("sku", r.sku));
  const warehouseId = c.take(f.warehouseId("warehouse_id", r.warehouseId));
  const minStock = r.minStock === undefined ? null : c.take(f.units("min_stock", r.minStock, 0));
  const safetyBuffer = r.safetyBuffer === undefined ? null : c.take(f.units("safety_buffer", r.safetyBuffer, 0));
  const leadTimeMs = r.leadTime === undefined ? null : c.take(f.duration("lead_time", r.leadTime, 0, leadTimeMsMax));
  const reason = c.take(f.text("reason", r.reason, policyReasonLengthMax, false));
  return finish(c, () => ({
    requestId: requestId!, sku: sku!, warehouseId: warehouseId!, minStock: minStock ?? null, leadTimeMs: leadTimeMs ?? null,
    autoActivate: r.autoActivate ?? null, safetyBuffer: safetyBuffer ?? null, reason: reason!,
  }));
}

export function parseStockKey(r: { requestId: string; sku: string; warehouseId: string }): Result<StockKeyCommand> {
  const c = new f.ViolationCollector();
  const requestId = c.take(f.requestId("request_id", r.requestId));
  const sku = c.take(f.sku("sku", r.sku));
  const warehouseId = c.take(f.warehouseId("warehouse_id", r.warehouseId));
  return finish(c, () => ({ requestId: requestId!, sku: sku!, warehouseId: warehouseId! }));
}

export function parseGetStockPolicy(r: GetStockPolicyRequest): Result<{ sku: string; warehouseId: string }> {
  const c = new f.ViolationCollector();
  const sku = c.take(f.sku("sku", r.sku));
  const warehouseId = c.take(f.warehouseId("warehouse_id", r.warehouseId));
  return finish(c, () => ({ sku: sku!, warehouseId: warehouseId! }));
}

export function parseListAlerts(r: ListAlertsRequest): Result<ListAlertsQuery> {
  const c = new f.ViolationCollector();
  const sku = r.sku === "" ? "" : c.take(f.sku("sku", r.sku));
  const warehouseId = c.take(f.optionalWarehouseId("warehouse_id", r.warehouseId));
  const pageSize = c.take(pageSizeField(r.pageSize));
  return finish(c, () => ({ sku: sku || null, warehouseId: warehouseId ?? null, pageSize: pageSize!, pageToken: r.pageToken }));
}

export function pageSizeField(raw: number): f.Parsed<number> {
  if (raw < 0) return { violation: { field: "page_size", reason: "FIELD_OUT_OF_RANGE", description: "must not be negative" } };
  return { value: raw === 0 ? pageSizeDefault : Math.min(raw, pageSizeMax) };
}

const stateFilters: Partial<Record<number, StateName | null>> = {
  [ReservationState.RESERVATION_STATE_UNSPECIFIED]: null,
  [ReservationState.RESERVATION_STATE_PENDING]: "PENDING",
  [ReservationState.RESERVATION_STATE_ACTIVE]: "ACTIVE",
  [ReservationState.RESERVATION_STATE_RELEASED]: "RELEASED",
};

export function parseListReservations(r: ListReservationsRequest): Result<ListReservationsQuery> {
  const c = new f.ViolationCollector();
  const orderId = c.take(f.text("order_id", r.orderId, orderIdLengthMax, false));
  const sku = r.sku === "" ? "" : c.take(f.sku("sku", r.sku));
  const state = stateFilters[r.state];
  if (state === undefined) c.add("state", "FIELD_MALFORMED", "must be a ReservationState value");
  const pageSize = c.take(pageSizeField(r.pageSize));
  return finish(c, () => ({
    orderId: orderId || null, sku: sku || null, state: state ?? null, pageSize: pageSize!, pageToken: r.pageToken,
  }));
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function reservationIdField(field: string, raw: string): f.Parsed<string> {
  if (raw === "") return { violation: { field, reason: "FIELD_REQUIRED", description: "is required" } };
  if (!uuidPattern.test(raw)) return { violation: { field, reason: "FIELD_MALFORMED", description: "must be a reservation id returned by Reserve (a lowercase UUID)" } };
  return { value: raw };
}
