// Stored first answers of mutating calls, keyed by request_id (AIP-155).
import type { Em } from "./orm.js";

export interface StoredAnswer { method: string; requestHash: string; response: Buffer }

export async function findStoredAnswer(em: Em, requestId: string): Promise<StoredAnswer | null> {
  const rows = await em.execute<{ method: string; request_hash: string; response: Buffer }[]>(
    `SELECT method, request_hash, response FROM idempotency_key WHERE request_id = ?`,
    [requestId],
  );
  const row = rows[0];
  return row ? { method: row.method, requestHash: row.request_hash, response: Buffer.from(row.response) } : null;
}

/**
 * Records the answer of a request. Returns false when another transaction already holds the id:
 * PostgreSQL makes this insert wait for that transaction, so false means it committed.
 */
export async function storeAnswer(em: Em, requestId: string, answer: StoredAnswer, time: Date): Promise<boolean> {
  const rows = await em.execute<{ request_id: string }[]>(
    `INSERT INTO idempotency_key (request_id, method, request_hash, response, create_time)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
    [requestId, answer.method, answer.requestHash, answer.response, time],
  );
  return rows.length === 1;
}
