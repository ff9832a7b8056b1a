// Reserve, release, extend and confirm: load (sorted keys), decide (pure), write, in one
// transaction.
import type { ConfirmCommand, ExtendCommand, ListReservationsQuery, ReleaseCommand, ReserveCommand } from "../core/commands.js";
import { orThrow, ServiceError } from "../core/failure.js";
import { decodePageToken, encodePageToken } from "../core/page-token.js";
import { isExpired, type ReservationRecord } from "../core/reservation.js";
import { translateDatabaseError } from "../db/errors.js";
import type { Em, Orm } from "../db/orm.js";
import { findExpiredHolds, findLines, findReservation, listReservations, lockReservations, setExpireTime } from "../db/reservation-repository.js";
import type { Reservation } from "../gen/inventory/v1/reservation.js";
import { ConfirmReservationResponse, ExtendReservationResponse, ReleaseReservationResponse, ReserveResponse } from "../gen/inventory/v1/reservation_service.js";
import { batchCallsRunningMax, batchRequestsWaitingMax, coalesceBatchMax, coalesceHotLaneMax, coalesceHotSkuWaiting, coalesceLaneCount, coalesceLaneDepth, coalesceQueueMax, expirySweepBatchMax, stockCacheReadsAfterStale, stockCacheSkusMax } from "../limits.js";
import { reserveBatch, unwrapBatchResult, type BatchResult } from "./reserve-batch.js";
import { Admission } from "./admission.js";
import { ReserveCoalescer } from "./reserve-coalescer.js";
import { StockCache } from "./stock-cache.js";
import { InFlightUnits } from "./in-flight-units.js";
import type { Clock } from "./clock.js";
import { runIdempotent, runTransaction } from "./idempotent.js";
import { releaseReservation, reservationNotFound } from "./stock-flow.js";
import { reservationView } from "./views.js";
import { newReservationId } from "./reservation-ids.js";
import type { CallCancellation } from "./cancelled.js";

export interface ReservationPage { reservations: Reservation[]; nextPageToken: string }

export interface ReservationAppOptions {
  /** Decide and write concurrent single-line reserves together, in batches (default true). */
  coalesce?: boolean;
  newId?: () => string;
}

export class ReservationApp {
  private readonly coalescer: ReserveCoalescer | null;
  private readonly newId: () => string;
  private readonly inFlight = new InFlightUnits();
  private readonly stockCache = new StockCache(stockCacheSkusMax, stockCacheReadsAfterStale);
  private readonly batchCalls = new Admission("BatchReserve and multi-line Reserve calls", { runningMax: batchCallsRunningMax, waitingRequestsMax: batchRequestsWaitingMax });

  constructor(
    private readonly orm: Orm,
    private readonly clock: Clock,
    options: ReservationAppOptions = {},
  ) {
    this.newId = options.newId ?? newReservationId;
    this.coalescer = options.coalesce === false ? null
      : new ReserveCoalescer((commands) => reserveBatch(orm, clock, commands, { newId: this.newId, inFlight: this.inFlight, stockCache: this.stockCache }),
        {
          batchMax: coalesceBatchMax, queueMax: coalesceQueueMax, laneCount: coalesceLaneCount, laneDepth: coalesceLaneDepth,
          hotSkuWaiting: coalesceHotSkuWaiting, hotLaneMax: coalesceHotLaneMax,
        });
  }

  /**
   * Reserves one order: single-line orders through the coalescer (or alone, without one), others
   * in a batch of their own, admitted as BatchReserve calls are. A call cancelled while it waits
   * for its batch or its place is dropped, and writes nothing.
   */
  async reserve(cmd: ReserveCommand, cancellation?: CallCancellation): Promise<ReserveResponse> {
    if (cmd.lines.length === 1) {
      if (this.coalescer) return this.coalescer.submit(cmd, cancellation);
      const [alone] = await this.reserveNow([cmd]);
      return unwrapBatchResult(alone!);
    }
    const [result] = await this.batchReserve([cmd], cancellation);
    return unwrapBatchResult(result!);
  }

  /** Independent reservations, one result each, decided and written together (a few calls at once). */
  async batchReserve(commands: ReserveCommand[], cancellation?: CallCancellation): Promise<BatchResult[]> {
    if (commands.length === 0) return [];
    return this.batchCalls.run(commands.length, () => this.reserveNow(commands), cancellation);
  }

  private reserveNow(commands: ReserveCommand[]): Promise<BatchResult[]> {
    return reserveBatch(this.orm, this.clock, commands, { newId: this.newId, inFlight: this.inFlight, stockCache: this.stockCache });
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

  async release(cmd: ReleaseCommand): Promise<ReleaseReservationResponse> {
    const time = this.clock.now();
    const response = await runIdempotent(this.orm, {
      method: "ReleaseReservation", requestId: cmd.requestId, command: cmd, codec: ReleaseReservationResponse, time,
      work: async (em, record) => {
        const released = (await releaseReservation(em, cmd.reservationId, cmd.reason, { requestId: cmd.requestId, time }))!;
        const response = { reservation: reservationView(released.reservation, released.lines) };
        await record(response);
        return response;
      },
    });
    // The release changed these SKUs' stock levels behind the cache (and may have filled waiters).
    this.stockCache.drop(response.reservation?.lines.map((l) => l.sku) ?? []);
    return response;
  }

  extend(cmd: ExtendCommand): Promise<ExtendReservationResponse> {
    const time = this.clock.now();
    return runIdempotent(this.orm, {
      method: "ExtendReservation", requestId: cmd.requestId, command: cmd, codec: ExtendReservationResponse, time,
      work: async (em, record) => {
        const reservation = await lockLiveHold(em, cmd.reservationId, time);
        if (reservation.expireTime === null) {
          throw new ServiceError({
            reason: "NO_TTL",
            message: `reservation ${cmd.reservationId} has no ttl (it never expires, or was confirmed)`,
            metadata: { reservation_id: cmd.reservationId },
          });
        }
        const expireTime = new Date(time.getTime() + cmd.ttlMs);
        await setExpireTime(em, cmd.reservationId, expireTime, time);
        const response = { reservation: await this.view(em, { ...reservation, expireTime, updateTime: time }) };
        await record(response);
        return response;
      },
    });
  }

  confirm(cmd: ConfirmCommand): Promise<ConfirmReservationResponse> {
    const time = this.clock.now();
    return runIdempotent(this.orm, {
      method: "ConfirmReservation", requestId: cmd.requestId, command: cmd, codec: ConfirmReservationResponse, time,
      work: async (em, record) => {
        const reservation = await lockLiveHold(em, cmd.reservationId, time);
        await setExpireTime(em, cmd.reservationId, null, time);
        const response = { reservation: await this.view(em, { ...reservation, expireTime: null, updateTime: time }) };
        await record(response);
        return response;
      },
    });
  }

  /**
   * Releases holds past their expiry, oldest first, one transaction each, at most `limit` of
   * them; holds another transaction is working on are passed over. Returns how many it released.
   */
  async sweepExpired(limit = expirySweepBatchMax): Promise<number> {
    const time = this.clock.now();
    const candidates = await findExpiredHolds(this.orm.em.fork(), time, limit);
    let released = 0;
    for (const id of candidates) {
      const done = await runTransaction(this.orm, (em) => releaseReservation(em, id, "EXPIRED", { requestId: `expiry:${id}`, time }, true));
      if (done) released++;
    }
    return released;
  }

  private async view(em: Em, reservation: ReservationRecord): Promise<Reservation> {
    const lines = (await findLines(em, [reservation.reservationId])).get(reservation.reservationId) ?? [];
    return reservationView(reservation, lines);
  }
}

/** Locks a reservation that must be live and not past its expiry. */
async function lockLiveHold(em: Em, reservationId: string, now: Date): Promise<ReservationRecord> {
  const reservation = (await lockReservations(em, [reservationId])).get(reservationId);
  if (!reservation) throw reservationNotFound(reservationId);
  if (reservation.state === "RELEASED") {
    throw new ServiceError({
      reason: "ALREADY_RELEASED",
      message: `reservation ${reservationId} was already released (${reservation.releaseReason})`,
      metadata: { reservation_id: reservationId, release_reason: reservation.releaseReason ?? "" },
    });
  }
  if (isExpired(reservation, now)) {
    throw new ServiceError({
      reason: "HOLD_EXPIRED",
      message: `the hold ${reservationId} expired at ${reservation.expireTime!.toISOString()}; reserve again`,
      metadata: { reservation_id: reservationId, expire_time: reservation.expireTime!.toISOString() },
    });
  }
  return reservation;
}
