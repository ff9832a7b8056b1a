// The common setup of a test file: a fresh database and a real server on it, opened before the
// file's tests and closed after them.
import { afterAll, beforeAll } from "vitest";
import type { Clock } from "../../src/app/clock.js";
import { openTestDatabase, type TestDatabase } from "./database.js";
import { startTestServer, type TestServer } from "./server.js";

/** Forwards to the object once the hook has made it, so callers can destructure at file level. */
function late<T extends object>(get: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_, property) {
      const target = get();
      if (!target) throw new Error(`${what} is not open yet: use it inside a test or hook`);
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

type Connection = ReturnType<TestServer["connect"]>;

/**
 * `connections` opens that many extra HTTP/2 connections (as separate checkout instances would),
 * returned in `clients` once the file's hooks have run; the server closes them when it stops.
 */
export function useTestServer(clock?: Clock, { connections = 0 }: { connections?: number } = {}): { db: TestDatabase; server: TestServer; clients: Connection[] } {
  let db: TestDatabase | undefined;
  let server: TestServer | undefined;
  const clients: Connection[] = [];
  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db.orm, clock);
    for (let i = 0; i < connections; i++) clients.push(server.connect());
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
  });
  return { db: late(() => db, "the test database"), server: late(() => server, "the test server"), clients };
}
