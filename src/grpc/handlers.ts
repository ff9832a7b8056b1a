// gRPC handlers: parse the request, call the application, wrap the answer. Nothing else.
import type { Logger } from "pino";
import * as parse from "../core/commands.js";
import { orThrow } from "../core/failure.js";
import type { InventoryApp } from "../app/inventory.js";
import type { ReservationApp } from "../app/reservations.js";
import type { InventoryServiceServer } from "../gen/inventory/v1/inventory_service.js";
import type { ReservationServiceServer } from "../gen/inventory/v1/reservation_service.js";
import { unary } from "./unary.js";
import { statusOfReason } from "./errors.js";
import type { BatchResult } from "../app/reserve-batch.js";
import type { BatchReserveResult } from "../gen/inventory/v1/reservation_service.js";

function batchResultView(result: BatchResult): BatchReserveResult {
  if (result.ok) return { reservation: result.response.reservation };
  const f = result.failure;
  return {
    error: { code: statusOfReason[f.reason], message: f.message, reason: f.reason, metadata: f.metadata ?? {}, fields: (f.violations ?? []).map((v) => v.field) },
  };
}

export function inventoryHandlers(app: InventoryApp, logger: Logger): InventoryServiceServer {
  return {
    createWarehouse: unary(logger, "CreateWarehouse", async (req) => ({ warehouse: await app.createWarehouse(orThrow(parse.parseCreateWarehouse(req))) })),
    setStock: unary(logger, "SetStock", (req) => app.setStock(orThrow(parse.parseSetStock(req)))),
    adjustStock: unary(logger, "AdjustStock", (req) => app.adjustStock(orThrow(parse.parseAdjustStock(req)))),
    getAvailability: unary(logger, "GetAvailability", async (req) => {
      const [availability] = await app.getAvailability(orThrow(parse.parseGetAvailability(req)));
      return { availability };
    }),
    batchGetAvailability: unary(logger, "BatchGetAvailability", async (req) => ({
      availabilities: await app.getAvailability(orThrow(parse.parseBatchGetAvailability(req))),
    })),
    setStockPolicy: unary(logger, "SetStockPolicy", (req) => app.setStockPolicy(orThrow(parse.parseSetStockPolicy(req)))),
    getStockPolicy: unary(logger, "GetStockPolicy", async (req) => ({ stockPolicy: await app.getStockPolicy(orThrow(parse.parseGetStockPolicy(req))) })),
    fillWaitingReservations: unary(logger, "FillWaitingReservations", (req) => app.fillWaitingReservations(orThrow(parse.parseStockKey(req)))),
    listAlerts: unary(logger, "ListAlerts", (req) => app.listAlerts(orThrow(parse.parseListAlerts(req)))),
  };
}

export function reservationHandlers(app: ReservationApp, logger: Logger): ReservationServiceServer {
  return {
    reserve: unary(logger, "Reserve", (req, cancellation) => app.reserve(orThrow(parse.parseReserve(req)), cancellation)),
    getReservation: unary(logger, "GetReservation", async (req) => ({
      reservation: await app.getReservation(orThrow(parse.parseGetReservation(req)).reservationId),
    })),
    listReservations: unary(logger, "ListReservations", (req) => app.listReservations(orThrow(parse.parseListReservations(req)))),
    releaseReservation: unary(logger, "ReleaseReservation", (req) => app.release(orThrow(parse.parseRelease(req)))),
    extendReservation: unary(logger, "ExtendReservation", (req) => app.extend(orThrow(parse.parseExtend(req)))),
    confirmReservation: unary(logger, "ConfirmReservation", (req) => app.confirm(orThrow(parse.parseConfirm(req)))),
    batchReserve: unary(logger, "BatchReserve", async (req, cancellation) => {
      const parsed = orThrow(parse.parseBatchReserve(req));
      const valid = parsed.flatMap((p) => (p.ok ? [p.value] : []));
      const done = await app.batchReserve(valid, cancellation);
      let next = 0;
      return { results: parsed.map((p) => batchResultView(p.ok ? done[next++]! : { ok: false, failure: p.failure })) };
    }),
  };
}
