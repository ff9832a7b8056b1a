// Runs a mutating call at most once per request_id (AIP-155) inside one transaction.
import { fail, ok, orThrow, type Failure, type Result } from "../core/failure.js";
import { requestHash } from "../core/request-hash.js";
import { rememberEncoding } from "../core/message-encoding.js";
import { findStoredAnswer, storeAnswer, type StoredAnswer } from "../db/idempotency-repository.js";
import { isTransientConflict, translateDatabaseError } from "../db/errors.js";
import { transactionAttemptsMax } from "../limits.js";
import type { Orm, Em } from "../db/orm.js";

/** Encodes and decodes a response message (the generated MessageFns). */
export interface ResponseCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

export interface IdempotentCall<T> {
  method: string;
  requestId: string;
  /** The validated command: its fingerprint tells a retry from a reused id. */
  command: unknown;
  codec: ResponseCodec<T>;
  time: Date;
  /**
   * The call's work inside the transaction. It must call `record(response)` once, at the point
   * where its answer is known, before the transaction commits.
   */
  work(em: Em, record: (response: T) => Promise<void>): Promise<T>;
}

/** Thrown inside the transaction when another transaction committed the same request_id first. */
class AnsweredConcurrently extends Error {}

/** A request_id that was first used for a different request (another method or other fields). */
export function requestIdReused(requestId: string, firstMethod: string): Failure {
  return {
    reason: "REQUEST_ID_REUSED",
    message: `request_id ${JSON.stringify(requestId)} was already used for a different request`,
    metadata: { request_id: requestId, first_method: firstMethod },
    violations: [{ field: "request_id", reason: "REQUEST_ID_REUSED", description: "was already used for a different request; use a new id" }],
  };
}

/** The stored first answer of a request, or REQUEST_ID_REUSED when the id was first used for something else. */
export function replayStored<T>(stored: StoredAnswer, request: { method: string; requestId: string; hash: string }, codec: ResponseCodec<T>): Result<T> {
  if (stored.method !== request.method || stored.requestHash !== request.hash) return fail(requestIdReused(request.requestId, stored.method));
  return ok(rememberEncoding(codec.decode(stored.response) as T & object, stored.response));
}

export async function runIdempotent<T>(orm: Orm, call: IdempotentCall<T>): Promise<T> {
  const hash = requestHash(call.method, call.command);
  try {
    let conflicts = 0;
    // Bounded: every round either returns, throws, or spends one conflict retry, or (once) the
    // round after a concurrent twin committed, when its stored answer is certain.
    for (let round = 0; round <= 1 + transactionAttemptsMax; round++) {
      const em = orm.em.fork();
      const stored = await findStoredAnswer(em, call.requestId);
      if (stored) return orThrow(replayStored(stored, { method: call.method, requestId: call.requestId, hash }, call.codec));
      try {
        return await em.transactional(async (tx) => {
          let recorded = false;
          const response = await call.work(tx, async (answer) => {
            const bytes = Buffer.from(call.codec.encode(answer).finish());
            rememberEncoding(answer as T & object, bytes);
            const fresh = await storeAnswer(tx, call.requestId, { method: call.method, requestHash: hash, response: bytes }, call.time);
            if (!fresh) throw new AnsweredConcurrently();
            recorded = true;
          });
          if (!recorded) throw new Error(`${call.method} finished without recording its answer`);
          return response;
        });
      } catch (error) {
        // A deadlock or serialization failure rolled everything back: run it again.
        if (isTransientConflict(error) && conflicts < transactionAttemptsMax) {
          conflicts++;
          continue;
        }
        if (!(error instanceof AnsweredConcurrently)) throw error;
      }
    }
    throw new Error(`request ${call.requestId}: no answer after every attempt`);
  } catch (error) {
    translateDatabaseError(error);
  }
}

/** Runs work in one transaction, again after a deadlock or serialization failure (bounded). */
export async function runTransaction<T>(orm: Orm, work: (em: Em) => Promise<T>): Promise<T> {
  for (let conflicts = 0; ; conflicts++) {
    try {
      return await orm.em.fork().transactional(work);
    } catch (error) {
      if (isTransientConflict(error) && conflicts < transactionAttemptsMax) continue;
      translateDatabaseError(error);
    }
  }
}
