// One worker at a time across replicas: a session-level PostgreSQL advisory lock, taken with
// pg_try_advisory_lock on a connection of its own and held for the whole run (a pooled
// connection could be handed to other work, or the lock released with it). If that connection
// drops, PostgreSQL releases the lock: the run sees `lost` and stops between stock levels.
//
// On the embedded database (PGlite) there is one backend session shared by every connection and
// a single process owns its data directory, so no second worker can open it: the lock is
// trivially held, and `embeddedRunLock` takes none.
import pg from "pg";
import { runLockKeys } from "./worker-limits.js";

export interface RunLock {
  /** True once the lock's connection dropped: another worker may hold it now. */
  readonly lost: boolean;
  release(): Promise<void>;
}

/** Takes the lock, or returns null when another worker holds it. */
export type RunLockProvider = () => Promise<RunLock | null>;

export function advisoryRunLock(url: string): RunLockProvider {
  return async () => {
    const client = new pg.Client({ connectionString: url, application_name: "stockhold-forecast-worker" });
    let lost = false;
    client.on("error", () => {
      lost = true;
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1, $2) AS locked`, [...runLockKeys]);
      if (!rows[0]?.locked) {
        await client.end();
        return null;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on("end", () => {
      lost = true;
    });
    let released = false;
    return {
      get lost() {
        return lost && !released;
      },
      async release() {
        if (released) return;
        released = true;
        try {
          if (!lost) await client.query(`SELECT pg_advisory_unlock($1, $2)`, [...runLockKeys]);
        } finally {
          await client.end().catch(() => undefined);
        }
      },
    };
  };
}

/** The embedded database's lock: always free, nothing to release (see above). */
export const embeddedRunLock: RunLockProvider = async () => ({ lost: false, release: async () => undefined });
