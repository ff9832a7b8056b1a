// Stored first answers of mutating calls, keyed by request_id (AIP-155).
import type { Em } from "./orm.js";
import { textArray } from "./sql-array.js";

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

export async function findStoredAnswers(em: Em, requestIds: string[]): Promise<Map<string, StoredAnswer>> {
  const found = new Map<string, StoredAnswer>();
  if (requestIds.length === 0) return found;
  const rows = await em.execute<{ request_id: string; method: string; request_hash: string; response: Buffer }[]>(
    `SELECT request_id, method, request_hash, response FROM idempotency_key WHERE request_id = ANY(?::text[])`,
    [textArray(requestIds)],
  );
  for (const r of rows) found.set(r.request_id, { method: r.method, requestHash: r.request_hash, response: Buffer.from(r.response) });
  return found;
}

/** Records many answers in one statement; returns the request ids it stored (the others were taken). */
export async function storeAnswers(em: Em, answers: (StoredAnswer & { requestId: string })[], time: Date): Promise<Set<string>> {
  if (answers.length === 0) return new Set();
  const rows = await em.execute<{ request_id: string }[]>(
    `INSERT INTO idempotency_key (request_id, method, request_hash, response, create_time)
     SELECT a.request_id, a.method, a.request_hash, decode(a.response, 'base64'), ?
       FROM jsonb_to_recordset(?::jsonb) AS a(request_id text, method text, request_hash text, response text)
     ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
    [time, JSON.stringify(answers.map((a) => ({ request_id: a.requestId, method: a.method, request_hash: a.requestHash, response: a.response.toString("base64") })))],
  );
  return new Set(rows.map((r) => r.request_id));
}
