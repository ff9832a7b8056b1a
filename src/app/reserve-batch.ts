// Many independent reservations decided together: the engine behind the coalescer and
// BatchReserve. Each request keeps its own request_id, answer and error; every stock level's
// counters change by one guarded update in the one statement that also writes the answers,
// reservations and ledger entries, so a row lock is held from that statement to the commit
// however large the batch.
import { allocate } from "../core/allocate.js";
import type { ReserveCommand } from "../core/commands.js";
import { ServiceError, type Failure } from "../core/failure.js";
import { priorityRank } from "../core/queue.js";
import { requestHash } from "../core/request-hash.js";
import { rememberEncoding } from "../core/message-encoding.js";
import { compareStockKeys, stockKey } from "../core/stock.js";
import { isTransientConflict, translateDatabaseError } from "../db/errors.js";
import { readBatchInputs, writeBatch, type BatchInputs, type LevelChange } from "../db/batch-reserve-repository.js";
import type { StoredAnswer } from "../db/idempotency-repository.js";
import type { Orm } from "../db/orm.js";
import { withPooledSession, type SqlSession } from "../db/prepared.js";
import type { StockRow } from "../db/stock-repository.js";
import { ReserveResponse } from "../gen/inventory/v1/reservation_service.js";
import { expirySweepBatchMax, reserveAttemptsMax, transactionAttemptsMax } from "../limits.js";
import { releaseHolds } from "./expired-holds.js";
import { replayStored, requestIdReused } from "./idempotent.js";
import { InFlightUnits, type Claim } from "./in-flight-units.js";
import type { StockCache } from "./stock-cache.js";
import type { Clock } from "./clock.js";
import { planToReservation, reservePart, type PlannedReservation } from "./reservation-plan.js";
import { newReservationId } from "./reservation-ids.js";

export type BatchResult = { ok: true; response: ReserveResponse } | { ok: false; failure: Failure };

const method = "Reserve";

/** Thrown by a round to run it again: a stale snapshot, a twin request committed first, an expired hold. */
class RunAgain extends Error {
  /** `onCache`: the round decided on cached stock levels, so it runs again on a fresh read. */
  constructor(reason: string, readonly onCache: boolean) {
    super(reason);
  }
}

function replayed(stored: StoredAnswer, hash: string, requestId: string): BatchResult {
  const replay = replayStored(stored, { method, requestId, hash }, ReserveResponse);
  return replay.ok ? { ok: true, response: replay.value } : replay;
}

export interface BatchOptions {
  newId?: () => string;
  /** Units other batches of this process are writing: shared by every batch of one service. */
  inFlight?: InFlightUnits;
  /** Stock levels last read or written by this process: shared by every batch of one service. */
  stockCache?: StockCache;
}

/**
 * Reserves each command (validated, any shape) and returns one result per command, in order.
 * Commands are served by priority, then in the order given (their arrival).
 *
 * Two statements: one read of everything the batch decides on, and one that writes it all (see
 * batch-reserve-repository.ts). A batch that must not miss a concurrent change (a waiting
 * order, or the last attempt after stale reads) reads with row locks. A batch whose SKUs are all
 * in the stock cache, with no stored answers to replay, skips the read: it decides on the cached
 * levels (plus the units other batches of this process are writing) and writes only if every
 * order is served in full and the write's guards hold (the units; for a SKU with several levels,
 * their versions); otherwise it runs again on a read.
 */
export async function reserveBatch(orm: Orm, clock: Clock, commands: ReserveCommand[], { newId = newReservationId, inFlight = new InFlightUnits(), stockCache }: BatchOptions = {}): Promise<BatchResult[]> {
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
  let expiredReleased = false;
  let tryCache = stockCache !== undefined;
  try {
    for (;;) {
      const pending = [...firstIndex].filter(([, i]) => !results[i]).map(([, i]) => i);
      if (pending.length === 0) break;
      try {
        const time = clock.now();
        const lock = attempt >= reserveAttemptsMax || pending.some((i) => commands[i]!.waitForStock);
        const claims: Claim[] = [];
        const round = { commands, pending, hashes, ids, time, lock, releaseExpired: !expiredReleased, inFlight, claims, stockCache, onCache: tryCache && !lock, written: [] as StockRow[] };
        // One connection from the read to the write, so a call never queues at the pool twice; a
        // transaction only to hold the row locks of a locked read until the write.
        // The cache takes the committed rows before the claims go, so a batch deciding in between
        // sees either the claim or the row it left, never neither.
        const decided = await withPooledSession(orm, { transaction: lock }, (session) => decideAndWrite(session, round))
          .then((outcome) => {
            stockCache?.written(round.written);
            return outcome;
          })
          .finally(() => inFlight.release(claims));
        if (decided.kind === "read-needed") {
          tryCache = false;
          continue;
        }
        if (decided.kind === "expired") {
          // Expired holds on these SKUs give their units back first (once per batch), each in its
          // own transaction: inside this one they would take locks out of key order.
          expiredReleased = true;
          // The cached levels of these SKUs predate the release: this batch reads.
          tryCache = false;
          await releaseHolds(orm, time, decided.holdIds);
          continue;
        }
        for (const [i, result] of decided.outcome) results[i] = result;
        if (decided.deferredKeys.length === 0) break;
        // Orders that claimed units made short: decide them again once the claimants settle.
        await inFlight.settledAll(decided.deferredKeys);
        attempt++;
      } catch (error) {
        if (error instanceof RunAgain && error.onCache) {
          // Cached levels proved stale: not an attempt of its own, the read comes next.
          tryCache = false;
          continue;
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
    return hashes[first] === hashes[i] ? results[first]! : { ok: false, failure: requestIdReused(c.requestId, method) };
  });
}

interface BatchRound {
  commands: ReserveCommand[];
  /** Indexes of the commands still without a result. */
  pending: number[];
  hashes: string[];
  ids: string[];
  time: Date;
  lock: boolean;
  releaseExpired: boolean;
  inFlight: InFlightUnits;
  /** Filled with this round's claims, for the caller to release once the transaction ends. */
  claims: Claim[];
  stockCache: StockCache | undefined;
  /** Decide on the cached stock levels, if every SKU's are cached, instead of reading. */
  onCache: boolean;
  /** Filled with the stock levels as this round wrote them, for the cache once it has committed. */
  written: StockRow[];
}

type RoundOutcome =
  | { kind: "decided"; outcome: Map<number, BatchResult>; deferredKeys: string[] }
  | { kind: "expired"; holdIds: string[] }
  /** A decision on cached levels that would refuse, shorten or defer an order: read instead. */
  | { kind: "read-needed" };

/** Inputs from the cache alone, when it holds every SKU and every named warehouse among them. */
function cachedInputs(round: BatchRound, skus: string[], warehouseIds: string[]): BatchInputs | null {
  if (!round.onCache || !round.stockCache) return null;
  const stock = round.stockCache.levelsOf(skus);
  if (!stock) return null;
  const knownWarehouseIds = new Set(stock.map((s) => s.warehouseId));
  if (warehouseIds.some((w) => !knownWarehouseIds.has(w))) return null;
  return { answers: new Map(), stock: stock.slice().sort(compareStockKeys), expiredHoldIds: [], knownWarehouseIds };
}

/** One round: read (or take the cached levels), replay what was answered, allocate the rest in queue order, write. */
async function decideAndWrite(session: SqlSession, round: BatchRound): Promise<RoundOutcome> {
  const { commands, pending, hashes, ids, time } = round;
  const skus = [...new Set(pending.flatMap((i) => commands[i]!.lines.map((l) => l.sku)))].sort();
  const warehouseIds = [...new Set(pending.flatMap((i) => commands[i]!.lines.flatMap((l) => (l.warehouseId ? [l.warehouseId] : []))))];
  const cached = cachedInputs(round, skus, warehouseIds);
  const onCache = cached !== null;
  const inputs = cached ?? await readBatchInputs(session, {
    requestIds: pending.map((i) => commands[i]!.requestId), skus, warehouseIds,
    now: time, expiredHoldsMax: expirySweepBatchMax, lock: round.lock,
  });
  // Nothing is written yet; the levels read are about to change, so they are not cached.
  if (round.releaseExpired && inputs.expiredHoldIds.length > 0) return { kind: "expired", holdIds: inputs.expiredHoldIds };
  if (!onCache) round.stockCache?.read(skus, inputs.stock);
  const outcome = new Map<number, BatchResult>();
  const toDecide: number[] = [];
  for (const i of pending) {
    const answer = inputs.answers.get(commands[i]!.requestId);
    if (answer) outcome.set(i, replayed(answer, hashes[i]!, commands[i]!.requestId));
    else toDecide.push(i);
  }

  // Allocate in queue order against a working copy of the counters, counting as reserved the
  // units other batches of this process are writing that the snapshot does not show yet. Rows
  // read under lock show everything: a batch that wrote them has committed, one that has not
  // cannot write them before this one commits.
  const working = new Map<string, StockRow[]>();
  for (const s of inputs.stock) {
    const ofSku = working.get(s.sku) ?? [];
    ofSku.push({ ...s });
    working.set(s.sku, ofSku);
  }
  /** A SKU stocked in several warehouses: which one a decision takes depends on all their figures. */
  const hasChoice = (sku: string) => (working.get(sku)?.length ?? 0) > 1;
  const claimed = new Map<string, number>();
  for (const row of [...working.values()].flat()) {
    const units = round.lock ? 0 : round.inFlight.pending(stockKey(row), row.version);
    // On cached levels of a SKU stocked in several warehouses the choice among them stands only on
    // the versions it was made on, and another batch writing one of them will move its version:
    // read. A SKU of one warehouse has no choice to make: granting in full is right whenever the
    // units are there, which the write's guard checks, so the batch goes right behind the others.
    if (units > 0 && onCache && hasChoice(row.sku)) return { kind: "read-needed" };
    if (units > 0) claimed.set(stockKey(row), units);
    row.reserved += units;
  }
  const deferredKeys: string[] = [];
  const order = toDecide.sort((a, b) => priorityRank[commands[a]!.priority] - priorityRank[commands[b]!.priority] || a - b);
  const planned: { index: number; plan: PlannedReservation }[] = [];
  const levels = new Map<string, LevelChange>();
  for (const i of order) {
    const cmd = commands[i]!;
    const stock = [...new Set(cmd.lines.map((l) => l.sku))].flatMap((sku) => working.get(sku) ?? []);
    const allocation = allocate({ command: cmd, stock, knownWarehouseIds: inputs.knownWarehouseIds });
    const short = !allocation.ok ? allocation.failure.reason === "INSUFFICIENT_STOCK" : allocation.value.some((l) => l.reserved < l.requested);
    const claimedKeys = stock.map(stockKey).filter((k) => claimed.has(k));
    if (onCache && (short || !allocation.ok)) return { kind: "read-needed" };
    if (short && claimedKeys.length > 0) {
      // Refused or shortened on units another batch is still writing: not decided this round.
      deferredKeys.push(...claimedKeys);
      continue;
    }
    if (!allocation.ok) {
      outcome.set(i, { ok: false, failure: allocation.failure });
      continue;
    }
    const plan = planToReservation(cmd, allocation.value, stock, ids[i]!, time);
    for (const line of allocation.value) {
      if (line.reserved === 0) continue;
      const level = stock.find((s) => s.warehouseId === line.warehouseId && s.sku === line.sku)!;
      level.reserved += line.reserved;
      const change: LevelChange = levels.get(stockKey(line))
        ?? { key: { sku: line.sku, warehouseId: line.warehouseId }, parts: [], vip: 0, standard: 0, expectedVersion: onCache && hasChoice(line.sku) ? level.version : null };
      change.parts.push(reservePart(cmd, ids[i]!, line));
      if (cmd.priority === "VIP") change.vip += line.reserved;
      else change.standard += line.reserved;
      levels.set(stockKey(line), change);
    }
    planned.push({ index: i, plan });
    outcome.set(i, { ok: true, response: plan.response });
  }

  // A failed request writes nothing; a batch of failed or replayed requests, nothing at all.
  if (planned.length === 0) return { kind: "decided", outcome, deferredKeys };
  const claims = new Map([...levels].map(([key, change]) => [key, round.inFlight.claim(key, change.vip + change.standard)]));
  round.claims.push(...claims.values());
  const written = await writeBatch(session, {
    answers: planned.map((p) => ({
      requestId: commands[p.index]!.requestId, method, requestHash: hashes[p.index]!,
      response: encodedAnswer(p.plan.response),
    })),
    reservations: planned.map((p) => p.plan),
    levels: [...levels.values()].sort((a, b) => compareStockKeys(a.key, b.key)),
    time,
    ledgerRequestId: `batch:${ids[planned[0]!.index]}`,
    // On cached levels, the ones looked at but not changed must still be as seen too.
    unchangedLevels: onCache ? inputs.stock.filter((s) => !levels.has(stockKey(s))).map((s) => ({ sku: s.sku, warehouseId: s.warehouseId, version: s.version })) : [],
    seenLevelCount: onCache ? inputs.stock.length : null,
    // A read releases expired holds on these SKUs before deciding; a decision without one may
    // stand only if there are none.
    noExpiredHoldsAt: onCache ? time : null,
  });
  if (written.kind !== "written") {
    // Nothing was written: others must not count these units a moment longer.
    round.inFlight.release(claims.values());
    if (written.kind === "guard-failed" && round.lock) throw new Error("batch guard failed on locked stock levels");
    // Stale levels, not a retried request id or an expired hold, make the SKUs read for a while.
    if (onCache && written.kind === "guard-failed") round.stockCache?.stale(skus);
    else if (onCache) round.stockCache?.drop(skus);
    throw new RunAgain(written.kind, onCache);
  }
  // Kept for the cache once the round has committed (a locked round commits after this).
  round.written.push(...written.rows);
  const versions = new Map(written.rows.map((r) => [stockKey(r), r.version]));
  for (const [key, claim] of claims) round.inFlight.written(claim, versions.get(key)!);
  return { kind: "decided", outcome, deferredKeys };
}

/** The answer's bytes, to store; the transport sends the same bytes. */
function encodedAnswer(response: ReserveResponse): Buffer {
  const bytes = Buffer.from(ReserveResponse.encode(response).finish());
  rememberEncoding(response, bytes);
  return bytes;
}

/** The thrown form of a failed batch result, for callers that answer one request. */
export function unwrapBatchResult(result: BatchResult): ReserveResponse {
  if (!result.ok) throw new ServiceError(result.failure);
  return result.response;
}
