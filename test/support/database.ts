// A fresh, migrated database for one test file: a clone of the run's template.
import { readFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { openOrm, type Orm } from "../../src/db/orm.js";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";
import { databasePoolSizeMax } from "../../src/limits.js";

export interface TestDatabase {
  kind: "postgres" | "embedded";
  url: string;
  poolSize: number;
  orm: Orm;
  /** Runs raw SQL on the test database (assertions, tampering). */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** True when the tests run on a real PostgreSQL server (DATABASE_URL). */
export const onRealPostgres = (): boolean => inject("postgres") !== null;

export async function openTestDatabase(): Promise<TestDatabase> {
  const postgres = inject("postgres");
  if (postgres) {
    const name = `${postgres.prefix}${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${postgres.template}"`);
    await admin.end();
    const u = new URL(postgres.adminUrl);
    u.pathname = `/${name}`;
    const url = u.toString();
    const orm = await openOrm({ url, poolSize: databasePoolSizeMax });
    return {
      kind: "postgres", url, poolSize: databasePoolSizeMax, orm,
      query: async (sql, params) => (await orm.em.fork().execute(sql, params as unknown[])) as never,
      async close() {
        await orm.close(true);
        const drop = new pg.Client({ connectionString: postgres.adminUrl });
        await drop.connect();
        await drop.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await drop.end();
      },
    };
  }
  const tarball = inject("embeddedTemplate");
  if (!tarball) throw new Error("global setup provided no database");
  const embedded = await startEmbeddedPostgres({ loadDataDir: new Blob([await readFile(tarball)]) });
  const orm = await openOrm({ url: embedded.url, poolSize: 1 });
  return {
    kind: "embedded", url: embedded.url, poolSize: 1, orm,
    query: async (sql, params) => (await orm.em.fork().execute(sql, params as unknown[])) as never,
    async close() {
      await orm.close(true);
      await embedded.stop();
    },
  };
}
