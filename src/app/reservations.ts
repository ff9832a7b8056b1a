// Reserve and release: load (sorted keys), decide (pure), write, in one transaction.
import { randomUUID } from "node:crypto";
import { allocate, type PlannedLine } from "../core/allocate.js";
import type { ListReservationsQuery, ReleaseCommand, ReserveCommand } from "../core/commands.js";
import { orThrow, ServiceError } from "../core/failure.js";
import { decodePageToken, encodePageToken } from "../core/page-token.js";
import { decideRelease } from "../core/release.js";
import { compareStockKeys } from "../core/stock.js";
import { translateDatabaseError } from "../db/errors.js";
import type { Orm } from "../db/orm.js";
import { findLines, findReservation, insertReservation, listReservations, markReleased } from "../db/reservation-repository.js";
import { applyStockDelta, existingWarehouseIds, readStockLevels } from "../db/stock-repository.js";
import type { Reservation } from "../gen/inventory/v1/reservation.js";
import { ReleaseReservationResponse, ReserveResponse } from "../gen/inventory/v1/reservation_service.js";
import { reserveAttemptsMax } from "../limits.js";
import type { Clock } from "./clock.js";
import { RetryTransaction, runIdempotent } from "./idempotent.js";
import { reservationView, type LineRecord, type ReservationRecord } from "./views.js";

export interface ReservationPage { reservations: Reservation[]; nextPageToken: string }

export class ReservationApp {
  constructor(
    private readonly orm: Orm,
    private readonly clock: Clock,
    private readonly newId: () => string = randomUUID,
  ) {}

  reserve(cmd: ReserveCommand): Promise<ReserveResponse> {
    const time = this.clock.now();
    const reservationId = this.newId();
    return runIdempotent(this.orm, {
      method: "Reserve", requestId: cmd.requestId, command: cmd, codec: ReserveResponse, time,
      attemptsMax: reserveAttemptsMax,
      work: async (em, record, attempt) => {
        const skus = [...new Set(cmd.lines.map((l) => l.sku))].sort();
        const namedWarehouses = [...new Set(cmd.lines.flatMap((l) => (l.warehouseId === null ? [] : [l.warehouseId])))];
        // Optimistic snapshot first; the last attempt locks the rows (sorted) so it cannot miss.
        const stock = await readStockLevels(em, skus, attempt.last);
        const knownWarehouseIds = await existingWarehouseIds(em, namedWarehouses);
        const plan = orThrow(allocate({ command: cmd, stock, knownWarehouseIds }));

        const reservation: ReservationRecord = {
          reservationId, orderId: cmd.orderId, customerId: cmd.customerId, channel: cmd.channel,
          priority: cmd.priority, state: "ACTIVE", releaseReason: null, createTime: time, updateTime: time,
        };
        const lines: LineRecord[] = plan.map((p) => ({ lineIndex: p.index, sku: p.sku, warehouseId: p.warehouseId, requested: p.requested, reserved: p.reserved }));
        const response = { reservation: reservationView(reservation, lines) };
        // Everything that touches no hot row goes first, so the stock row locks taken below are
        // held only until commit.
        await record(response);
        await insertReservation(em, { ...reservation, requestId: cmd.requestId }, lines);
        for (const line of [...plan].sort(compareStockKeys)) {
          if (line.reserved === 0) continue;
          const after = await applyStockDelta(
            em,
            { sku: line.sku, warehouseId: line.warehouseId, onHandDelta: 0, reservedDelta: line.reserved, guard: "available_covers_reserve" },
            { kind: "RESERVE", requestId: cmd.requestId, reservationId, payload: payloadOf(cmd, line), time },
          );
          if (!after) {
            if (attempt.last) throw new Error(`reserve guard failed on locked row ${line.sku}/${line.warehouseId}`);
            throw new RetryTransaction();
          }
        }
        return response;
      },
    });
  }

  async getReservation(reservationId: string): Promise<Reservation> {
    const em = this.orm.em.fork();
    try {
      const reservation = await findReservation(em, reservationId);
      if (!reservation) throw reservationNotFound(reservationId);
      const lines = await findLines(em, [reservationId]);
      return reservationView(reservation, lines.get(reservationId) ?? []);
    } catch (error) {
      translateDatabaseError(error);
    }
  }

  async listReservations(query: ListReservationsQuery): Promise<ReservationPage> {
    const filter = { orderId: query.orderId, sku: query.sku, state: query.state };
    const after = orThrow(decodePageToken(query.pageToken, filter));
    const em = this.orm.em.fork();
    try {
      // One row beyond the page tells whether another page follows.
      const rows = await listReservations(em, filter, after, query.pageSize + 1);
      const page = rows.slice(0, query.pageSize);
      const lines = await findLines(em, page.map((r) => r.reservationId));
      const last = page[page.length - 1];
      return {
        reservations: page.map((r) => reservationView(r, lines.get(r.reservationId) ?? [])),
        nextPageToken: rows.length > query.pageSize && last ? encodePageToken(last.seq, filter) : "",
      };
    } catch (error) {
      translateDatabaseError(error);
    }
  }

  release(cmd: ReleaseCommand): Promise<ReleaseReservationResponse> {
    const time = this.clock.now();
    return runIdempotent(this.orm, {
      method: "ReleaseReservation", requestId: cmd.requestId, command: cmd, codec: ReleaseReservationResponse, time,
      work: async (em, record) => {
        // The reservation's row lock makes concurrent releases of it take effect one at a time.
        const reservation = await findReservation(em, cmd.reservationId, true);
        if (!reservation) throw reservationNotFound(cmd.reservationId);
        const lines = (await findLines(em, [cmd.reservationId])).get(cmd.reservationId) ?? [];
        const deltas = orThrow(decideRelease(reservation, cmd.reason, lines));
        const released: ReservationRecord = { ...reservation, state: "RELEASED", releaseReason: cmd.reason, updateTime: time };
        const response = { reservation: reservationView(released, lines) };
        await record(response);
        await markReleased(em, cmd.reservationId, cmd.reason, time);
        for (const delta of [...deltas].sort(compareStockKeys)) {
          const after = await applyStockDelta(
            em,
            { ...delta, guard: "constraints_only" },
            { kind: cmd.reason === "SHIPPED" ? "RELEASE_SHIPPED" : "RELEASE_CANCELLED", requestId: cmd.requestId, reservationId: cmd.reservationId, payload: { order_id: reservation.orderId }, time },
          );
          if (!after) throw new Error(`stock level ${delta.sku}/${delta.warehouseId} of an active reservation is missing`);
        }
        return response;
      },
    });
  }
}

function payloadOf(cmd: ReserveCommand, line: PlannedLine): Record<string, unknown> {
  return { order_id: cmd.orderId, priority: cmd.priority, requested: line.requested };
}

function reservationNotFound(reservationId: string): ServiceError {
  return new ServiceError({
    reason: "RESERVATION_NOT_FOUND",
    message: `reservation ${reservationId} does not exist`,
    metadata: { reservation_id: reservationId },
  });
}
