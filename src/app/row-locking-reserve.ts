// The row-locking Reserve of the peers' designs (Saleor's SELECT FOR UPDATE, Medusa's per-item
// lock around a read-then-write), behind the same gRPC API: the benchmark's baseline (issue 5).
// Selected with STOCKHOLD_RESERVE_STRATEGY=row-locking; never the default.
//
// In one ORM transaction: lock the SKUs' stock rows (LockMode.PESSIMISTIC_WRITE, sorted, so
// multi-line orders cannot deadlock), check availability in application code, then write the
// idempotency answer, the counters with their ledger entries, and the reservation with its lines.
// Every invariant holds exactly as with the guarded strategy; what differs is that the row locks
// are held from the first SELECT to the commit, across every round trip of the call, where the
// guarded strategy holds them for one statement.
import { LockMode, QueryOrder } from "@mikro-orm/core";
import { allocate } from "../core/allocate.js";
import type { ReserveCommand } from "../core/commands.js";
import { orThrow } from "../core/failure.js";
import { compareStockKeys, type StockCounters } from "../core/stock.js";
import { StockLevel } from "../db/entities.js";
import type { Em, Orm } from "../db/orm.js";
import { insertReservation } from "../db/reservation-repository.js";
import { applyStockDelta, existingWarehouseIds } from "../db/stock-repository.js";
import { ReserveResponse } from "../gen/inventory/v1/reservation_service.js";
import type { Clock } from "./clock.js";
import { runIdempotent } from "./idempotent.js";
import { ReservationApp } from "./reservations.js";
import { releaseExpiredHolds } from "./expired-holds.js";
import { planToReservation, reservePart } from "./reservation-plan.js";
import { newReservationId } from "./reservation-ids.js";

interface LockedLevel extends StockCounters { leadTimeMs: number }

/** Locks every stock level of the SKUs through the ORM, in (sku, warehouse) order. */
async function lockStockRows(em: Em, skus: string[]): Promise<LockedLevel[]> {
  const rows = await em.find(StockLevel, { sku: { $in: skus } }, {
    lockMode: LockMode.PESSIMISTIC_WRITE,
    orderBy: { sku: QueryOrder.ASC, warehouseId: QueryOrder.ASC },
  });
  return rows.map((r) => ({
    sku: r.sku, warehouseId: r.warehouseId, onHand: r.onHand, reserved: r.reserved, safetyBuffer: r.safetyBuffer, minStock: r.minStock,
    leadTimeMs: r.leadTimeMs,
  }));
}

/** ReservationApp with the row-locking Reserve; every other call is the guarded app's own. */
export class RowLockingReservationApp extends ReservationApp {
  constructor(
    private readonly db: Orm,
    private readonly timeSource: Clock,
    private readonly makeId: () => string = newReservationId,
  ) {
    super(db, timeSource, { coalesce: false, newId: makeId });
  }

  // No queue of its own to leave (each call waits at the pool and then on the row lock), so a
  // cancelled call's cancellation is not used: as in the peers' designs, it runs to its end.
  override async reserve(cmd: ReserveCommand): Promise<ReserveResponse> {
    const time = this.timeSource.now();
    const reservationId = this.makeId();
    // As the other strategies: expired holds on these SKUs give their units back first.
    await releaseExpiredHolds(this.db, time, cmd.lines.map((l) => l.sku));
    return runIdempotent(this.db, {
      method: "Reserve", requestId: cmd.requestId, command: cmd, codec: ReserveResponse, time,
      work: async (em, record) => {
        const skus = [...new Set(cmd.lines.map((l) => l.sku))].sort();
        // 1. Lock. From here to the commit, every other order for these SKUs waits.
        const stock = await lockStockRows(em, skus);
        const namedWarehouses = [...new Set(cmd.lines.flatMap((l) => (l.warehouseId === null ? [] : [l.warehouseId])))];
        const knownWarehouseIds = await existingWarehouseIds(em, namedWarehouses);
        // 2. Check, in application code, on the locked rows.
        const plan = orThrow(allocate({ command: cmd, stock, knownWarehouseIds }));
        const { reservation, lines, response } = planToReservation(cmd, plan, stock, reservationId, time);
        // 3. Write, all under the locks. The answer first: it claims the request_id, so a
        // concurrent copy of this request waits here and then replays it. Then the counters, each
        // with its ledger entry: the update re-checks nothing but the table's CHECK constraints,
        // because the check above, on locked rows, is the guard. Then the reservation and its lines.
        await record(response);
        for (const line of [...plan].sort(compareStockKeys)) {
          if (line.reserved === 0) continue;
          const after = await applyStockDelta(em, line, "constraints_only", [reservePart(cmd, reservationId, line)], { requestId: cmd.requestId, time });
          if (!after) throw new Error(`locked stock level ${line.sku}/${line.warehouseId} vanished`);
        }
        await insertReservation(em, reservation, lines);
        return response;
      },
    });
  }
}
