// Databases for fault tests: a fresh clone of the run's migrated template on the shared
// PostgreSQL (DATABASE_URL), or any URL (a private cluster). Queries go through their own small
// pg pool, which survives the server restarting under it.
import pg from "pg";
import { cloneTemplate, onRealPostgres, type TestDatabase } from "../database.js";
import { checkInvariants, type InvariantReport } from "../invariants.js";

export interface FaultDatabase {
  url: string;
  /** Raw SQL with $1-style parameters. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** design.md's invariants I1, I2 and I4, with test/support/invariants.ts. */
  invariants(): Promise<InvariantReport>;
  /** A connection of its own, for holding row locks in an open transaction. */
  connection(): Promise<pg.Client>;
  close(): Promise<void>;
}

/** application_name of the test's own connections, to tell them from the service's in pg_stat_activity. */
export const testApplicationName = "stockhold-fault-test";

/** A connection of its own to `url`; an error on it (a server restart) does not crash the test process. */
async function connectionTo(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: testApplicationName });
  client.on("error", () => {});
  await client.connect();
  return client;
}

export function databaseAt(url: string, onClose: () => Promise<void> = async () => {}): FaultDatabase {
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: testApplicationName });
  // An idle connection cut by a server restart must not crash the test process.
  pool.on("error", () => {});
  const query = async <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) => (await pool.query<T>(sql, params)).rows;
  const db: FaultDatabase = {
    url,
    query,
    // checkInvariants only runs parameterless SQL through query(); the rest of TestDatabase is unused.
    invariants: () => checkInvariants({ query } as unknown as TestDatabase),
    connection: () => connectionTo(url),
    async close() {
      await pool.end();
      await onClose();
    },
  };
  return db;
}

export { onRealPostgres };

/** A fresh database cloned from the run's migrated template on the shared server. */
export async function cloneTemplateDatabase(): Promise<FaultDatabase> {
  const clone = await cloneTemplate();
  return databaseAt(clone.url, clone.drop);
}

/**
 * Opens a transaction on its own connection and locks the stock rows of `sku` until release().
 * Any database with a URL: a fault test's, or an integration test's TestDatabase.
 */
export async function lockStockRows(db: { url: string }, sku: string): Promise<{ release(): Promise<void> }> {
  const client = await connectionTo(db.url);
  await client.query("BEGIN");
  const { rowCount } = await client.query("SELECT 1 FROM stock_level WHERE sku = $1 FOR UPDATE", [sku]);
  if (!rowCount) throw new Error(`no stock level of ${sku} to lock`);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await client.query("ROLLBACK");
      await client.end();
    },
  };
}

/**
 * Write-consistency of every Reserve request_id in the database: a stored answer exists exactly
 * when its reservation does, and each reservation's RESERVE ledger entries match its lines.
 * Returns the request_ids that break it (half-written calls).
 */
export async function halfWritten(db: FaultDatabase): Promise<unknown[]> {
  return db.query(`
    SELECT coalesce(k.request_id, r.request_id) AS request_id, k.request_id IS NOT NULL AS answered, r.reservation_id
      FROM (SELECT request_id FROM idempotency_key WHERE method = 'Reserve') k
      FULL JOIN reservation r ON r.request_id = k.request_id
     WHERE k.request_id IS NULL OR r.reservation_id IS NULL
    UNION ALL
    SELECT r.request_id, true, r.reservation_id
      FROM reservation r
      JOIN (SELECT reservation_id, count(*) FILTER (WHERE reserved > 0) AS held_lines FROM reservation_line GROUP BY reservation_id) l USING (reservation_id)
      LEFT JOIN (SELECT reservation_id, count(*) AS entries FROM ledger_entry WHERE kind = 'RESERVE' GROUP BY reservation_id) e USING (reservation_id)
     WHERE coalesce(e.entries, 0) <> l.held_lines
       -- Only reservations nothing has touched since Reserve: a release, fill or demotion moves units.
       AND NOT EXISTS (SELECT 1 FROM ledger_entry x WHERE x.reservation_id = r.reservation_id AND x.kind <> 'RESERVE')`);
}
