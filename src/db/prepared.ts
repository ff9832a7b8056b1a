// Named prepared statements for the hottest statements (the batch reserve's read and write), run
// on one connection taken straight from the ORM's pool. The ORM's execute() writes every
// parameter into the SQL text, so PostgreSQL parses and plans each call from scratch; a named
// statement is parsed once per connection, and planned once too: src/db/orm.ts sets
// plan_cache_mode = force_generic_plan on every connection.
//
// Without locks the batch needs no transaction: its read is one snapshot and its write one
// statement that undoes itself. Leaving out BEGIN and COMMIT saves two round trips a batch, and
// the write's row locks are released when its own commit ends, not a round trip later.
import type { Orm } from "./orm.js";

/** Runs `sql` (with `?` placeholders) as the prepared statement `name`; one text per name. */
export interface SqlSession {
  query<T>(name: string, sql: string, params: unknown[]): Promise<T[]>;
}

interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  query(sql: string): Promise<unknown>;
  /** Set by knex when the connection failed: the pool then discards it instead of lending it again. */
  __knex__disposed?: unknown;
}

interface KnexClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<void>;
  positionBindings(sql: string): string;
}

/** `?` placeholders to `$n`, once per statement text. */
const positioned = new Map<string, string>();

/**
 * Runs `body` on one connection of the ORM's pool, inside BEGIN ... COMMIT when `transaction`
 * (rolled back if `body` throws); otherwise each statement commits on its own.
 */
export async function withPooledSession<T>(orm: Orm, { transaction }: { transaction: boolean }, body: (session: SqlSession) => Promise<T>): Promise<T> {
  const client = (orm.em.getConnection().getKnex() as unknown as { client: KnexClient }).client;
  const connection = await client.acquireConnection();
  const session: SqlSession = {
    async query<R>(name: string, sql: string, params: unknown[]) {
      let text = positioned.get(sql);
      if (text === undefined) {
        text = client.positionBindings(sql);
        positioned.set(sql, text);
      }
      return (await connection.query({ name, text, values: params })).rows as R[];
    },
  };
  try {
    if (!transaction) return await body(session);
    await connection.query("BEGIN");
    let result: T;
    try {
      result = await body(session);
    } catch (error) {
      // A connection that cannot roll back is left to the pool to discard, never lent again.
      await connection.query("ROLLBACK").catch((rollbackError: unknown) => { connection.__knex__disposed = rollbackError; });
      throw error;
    }
    await connection.query("COMMIT");
    return result;
  } finally {
    await client.releaseConnection(connection);
  }
}
