// Gives the units of expired holds back before new orders on their SKUs are decided.
import type { Orm } from "../db/orm.js";
import { findExpiredHolds } from "../db/reservation-repository.js";
import { expirySweepBatchMax } from "../limits.js";
import { runTransaction } from "./idempotent.js";
import { releaseReservation } from "./stock-flow.js";

/**
 * Expired holds on these SKUs give their units back before a new order is decided, each in its
 * own transaction (inside the order's transaction they would lock rows out of key order).
 */
export async function releaseExpiredHolds(orm: Orm, time: Date, skus: string[]): Promise<void> {
  await releaseHolds(orm, time, await findExpiredHolds(orm.em.fork(), time, expirySweepBatchMax, [...new Set(skus)].sort()));
}

/** Releases the given expired holds, each in its own transaction; holds gone or taken are passed over. */
export async function releaseHolds(orm: Orm, time: Date, ids: string[]): Promise<void> {
  for (const id of ids) {
    await runTransaction(orm, (em) => releaseReservation(em, id, "EXPIRED", { requestId: `expiry:${id}`, time }, true));
  }
}

