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

/** A fresh database cloned from the run's migrated template on the shared server (DATABASE_URL). */
export async function cloneTemplate(): Promise<{ url: string; drop(): Promise<void> }> {
  const postgres = inject("postgres");
  if (!postgres) throw new Error("cloning the template needs DATABASE_URL (a real PostgreSQL server)");
  const name = `${postgres.prefix}${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgres.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${postgres.template}"`);
  await admin.end();
  const u = new URL(postgres.adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const drop = new pg.Client({ connectionString: postgres.adminUrl });
      await drop.connect();
      await drop.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await drop.end();
    },
  };
}

export async function openTestDatabase(): Promise<TestDatabase> {
  if (onRealPostgres()) {
    const clone = await cloneTemplate();
    const orm = await openOrm({ url: clone.url, poolSize: databasePoolSizeMax });
    return {
      kind: "postgres", url: clone.url, poolSize: databasePoolSizeMax, orm,
      query: async (sql, params) => (await orm.em.fork().execute(sql, params as unknown[])) as never,
      async close() {
        await orm.close(true);
        await clone.drop();
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
