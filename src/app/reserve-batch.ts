// Many independent reservations in one transaction per call: the engine behind the hot-SKU
// coalescer and BatchReserve. Each request keeps its own request_id, answer and error; the
// counters of each stock level change in one guarded statement that also writes every ledger
// entry, so the row lock is held for one round trip however large the batch.
import { randomUUID } from "node:crypto";
import { allocate } from "../core/allocate.js";
import type { ReserveCommand } from "../core/commands.js";
import { ServiceError, type Failure } from "../core/failure.js";
import { priorityRank } from "../core/queue.js";
import { requestHash } from "../core/request-hash.js";
import { compareStockKeys, stockKey } from "../core/stock.js";
import { isTransientConflict, translateDatabaseError } from "../db/errors.js";
import { findStoredAnswers, storeAnswers, type StoredAnswer } from "../db/idempotency-repository.js";
import type { Orm } from "../db/orm.js";
import { insertReservations } from "../db/reservation-repository.js";
import { applyStockDelta, existingWarehouseIds, readStockLevels, type LedgerPart, type StockRow } from "../db/stock-repository.js";
import { ReserveResponse } from "../gen/inventory/v1/reservation_service.js";
import { reserveAttemptsMax, transactionAttemptsMax } from "../limits.js";
import { releaseExpiredHolds } from "./expired-holds.js";
import type { Clock } from "./clock.js";
import { planToReservation, reservePart, type PlannedReservation } from "./reservation-plan.js";

export type BatchResult = { ok: true; response: ReserveResponse } | { ok: false; failure: Failure };

const method = "Reserve";

/** Thrown inside the transaction to run it again: a stale snapshot, or a twin request committed first. */
class RunAgain extends Error {}

/** Thrown when every request failed: the transaction rolls back and writes nothing. */
class NothingGranted extends Error {
  constructor(readonly outcome: Map<number, BatchResult>) {
    super("no request of the batch succeeded");
  }
}

function reused(requestId: string, firstMethod: string): BatchResult {
  return {
    ok: false,
    failure: {
      reason: "REQUEST_ID_REUSED",
      message: `request_id ${JSON.stringify(requestId)} was already used for a different request`,
      metadata: { request_id: requestId, first_method: firstMethod },
      violations: [{ field: "request_id", reason: "REQUEST_ID_REUSED", description: "was already used for a different request; use a new id" }],
    },
  };
}

function replayed(stored: StoredAnswer, hash: string, requestId: string): BatchResult {
  if (stored.method !== method || stored.requestHash !== hash) return reused(requestId, stored.method);
  return { ok: true, response: ReserveResponse.decode(stored.response) };
}

/**
 * Reserves each command (validated, any shape) and returns one result per command, in order.
 * Commands are served by priority, then in the order given (their arrival).
 */
export async function reserveBatch(orm: Orm, clock: Clock, commands: ReserveCommand[], newId: () => string = randomUUID): Promise<BatchResult[]> {
  const results: (BatchResult | undefined)[] = new Array(commands.length);
  const hashes = commands.map((c) => requestHash(method, c));
  // A request id twice in one batch: the first takes effect, the others share its answer.
  const firstIndex = new Map<string, number>();
  commands.forEach((c, i) => {
    if (!firstIndex.has(c.requestId)) firstIndex.set(c.requestId, i);
  });
  const ids = commands.map(() => newId());
  let attempt = 1;
  let conflicts = 0;
  try {
    for (;;) {
      const stored = await findStoredAnswers(orm.em.fork(), [...firstIndex.keys()]);
      const pending: number[] = [];
      for (const [requestId, i] of firstIndex) {
        if (results[i]) continue;
        const answer = stored.get(requestId);
        if (answer) results[i] = replayed(answer, hashes[i]!, requestId);
        else pending.push(i);
      }
      if (pending.length === 0) break;
      try {
        const time = clock.now();
        await releaseExpiredHolds(orm, time, pending.flatMap((i) => commands[i]!.lines.map((l) => l.sku)));
        const decided = await orm.em.fork().transactional(async (em) => {
          const skus = [...new Set(pending.flatMap((i) => commands[i]!.lines.map((l) => l.sku)))].sort();
          const lock = attempt >= reserveAttemptsMax || pending.some((i) => commands[i]!.waitForStock);
          const stock = await readStockLevels(em, skus, lock);
          const named = [...new Set(pending.flatMap((i) => commands[i]!.lines.flatMap((l) => (l.warehouseId ? [l.warehouseId] : []))))];
          const knownWarehouseIds = await existingWarehouseIds(em, named);

          // Allocate in queue order against a working copy of the counters.
          const working = new Map(stock.map((s) => [stockKey(s), { ...s }]));
          const order = [...pending].sort((a, b) => priorityRank[commands[a]!.priority] - priorityRank[commands[b]!.priority] || a - b);
          const outcome = new Map<number, BatchResult>();
          const planned: { index: number; plan: PlannedReservation; parts: { key: StockRow; part: LedgerPart; vip: boolean }[] }[] = [];
          for (const i of order) {
            const cmd = commands[i]!;
            const allocation = allocate({ command: cmd, stock: [...working.values()], knownWarehouseIds });
            if (!allocation.ok) {
              outcome.set(i, { ok: false, failure: allocation.failure });
              continue;
            }
            const plan = planToReservation(cmd, allocation.value, stock, ids[i]!, time);
            const parts = allocation.value.filter((l) => l.reserved > 0).map((l) => {
              const level = working.get(stockKey(l))!;
              level.reserved += l.reserved;
              return { key: level, part: reservePart(cmd, ids[i]!, l), vip: cmd.priority === "VIP" };
            });
            planned.push({ index: i, plan, parts });
            outcome.set(i, { ok: true, response: plan.response });
          }

          // A failed request writes nothing; a batch of failed requests, nothing at all.
          if (planned.length === 0) throw new NothingGranted(outcome);
          const fresh = await storeAnswers(em, planned.map((p) => ({
            requestId: commands[p.index]!.requestId, method, requestHash: hashes[p.index]!,
            response: Buffer.from(ReserveResponse.encode(p.plan.response).finish()),
          })), time);
          if (fresh.size !== planned.length) throw new RunAgain("a twin request committed first");
          await insertReservations(em, planned.map((p) => p.plan));

          // One guarded statement per stock level, in key order.
          const byKey = new Map<string, { key: StockRow; parts: LedgerPart[]; vip: number; standard: number }>();
          for (const p of planned) {
            for (const { key, part, vip } of p.parts) {
              const group = byKey.get(stockKey(key)) ?? { key, parts: [], vip: 0, standard: 0 };
              group.parts.push(part);
              if (vip) group.vip += part.reservedDelta;
              else group.standard += part.reservedDelta;
              byKey.set(stockKey(key), group);
            }
          }
          for (const group of [...byKey.values()].sort((a, b) => compareStockKeys(a.key, b.key))) {
            const after = await applyStockDelta(em, group.key, "batch_available_covers", group.parts, { requestId: `batch:${ids[planned[0]!.index]}`, time }, group);
            if (!after) {
              if (lock) throw new Error(`batch guard failed on locked row ${group.key.sku}/${group.key.warehouseId}`);
              throw new RunAgain("a concurrent writer changed a stock level");
            }
          }
          return outcome;
        });
        for (const [i, result] of decided) results[i] = result;
        break;
      } catch (error) {
        if (error instanceof NothingGranted) {
          for (const [i, result] of error.outcome) results[i] = result;
          break;
        }
        if (error instanceof RunAgain && attempt < reserveAttemptsMax + transactionAttemptsMax) {
          attempt++;
          continue;
        }
        if (isTransientConflict(error) && conflicts < transactionAttemptsMax) {
          conflicts++;
          continue;
        }
        throw error;
      }
    }
  } catch (error) {
    translateDatabaseError(error);
  }
  return commands.map((c, i) => {
    const first = firstIndex.get(c.requestId)!;
    if (first === i) return results[i]!;
    return hashes[first] === hashes[i] ? results[first]! : reused(c.requestId, method);
  });
}

/** The thrown form of a failed batch result, for callers that answer one request. */
export function unwrapBatchResult(result: BatchResult): ReserveResponse {
  if (!result.ok) throw new ServiceError(result.failure);
  return result.response;
}
