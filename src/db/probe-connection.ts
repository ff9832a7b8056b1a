// How the health probe reaches the database. Through the pool, a probe waits behind every call
// that holds or awaits a connection, so a flood of work made health report NOT_SERVING while the
// database was answering (and a load balancer would then take a busy instance out). A server
// probes on a connection of its own instead; the embedded database takes one connection only, so
// it is probed through the pool.
import pg from "pg";
import type { Orm } from "./orm.js";

export interface DatabasePing {
  /** Resolves when the database answered a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Pings through the ORM's pool. */
export function poolPing(orm: Orm): DatabasePing {
  return {
    ping: async () => {
      await orm.em.fork().execute("SELECT 1");
    },
    close: async () => {},
  };
}

/** Pings on one connection of its own, opened on first use and opened again after any failure. */
export function ownConnectionPing(url: string, timeoutMs: number): DatabasePing {
  let client: pg.Client | null = null;
  // A graceful end waits on a server that may be gone: never longer than a ping.
  const end = (c: pg.Client) => Promise.race([c.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  const discard = async (broken: pg.Client) => {
    if (client === broken) client = null;
    await end(broken);
  };
  return {
    async ping() {
      let current = client;
      if (!current) {
        current = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, keepAlive: true, application_name: "stockhold health probe" });
        // A connection that dies between pings (the server restarted) is opened again on the next.
        const opened = current;
        opened.on("error", () => void discard(opened));
        client = opened;
        try {
          await opened.connect();
        } catch (error) {
          await discard(opened);
          throw error;
        }
      }
      try {
        await current.query("SELECT 1");
      } catch (error) {
        await discard(current);
        throw error;
      }
    },
    async close() {
      const open = client;
      client = null;
      if (open) await end(open);
    },
  };
}
