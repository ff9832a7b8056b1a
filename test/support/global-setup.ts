// Migrates one template database per test run; each test file then gets a fresh clone of it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { PGlite } from "@electric-sql/pglite";
import { migrate, openOrm } from "../../src/db/orm.js";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Real PostgreSQL: the admin URL and the template database to clone. */
    postgres: { adminUrl: string; template: string; prefix: string } | null;
    /** Embedded: a PGlite data-dir tarball of the migrated schema. */
    embeddedTemplate: string | null;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function dropDatabasesWithPrefix(adminUrl: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${prefix}%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const prefix = `stockhold_test_${process.pid}_`;
    const template = `${prefix}template`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE DATABASE "${template}"`);
    await client.end();
    const orm = await openOrm({ url: withDatabase(url, template), poolSize: 1 });
    await migrate(orm);
    await orm.close(true);
    project.provide("postgres", { adminUrl: url, template, prefix });
    project.provide("embeddedTemplate", null);
    console.log(`tests run against PostgreSQL at ${new URL(url).host} (DATABASE_URL), one cloned database per file`);
    return () => dropDatabasesWithPrefix(url, prefix);
  }
  const folder = await mkdtemp(join(tmpdir(), "stockhold-test-"));
  const embedded = await startEmbeddedPostgres();
  const orm = await openOrm({ url: embedded.url, poolSize: 1 });
  await migrate(orm);
  await orm.close(true);
  const dump = await (embedded.db as PGlite).dumpDataDir("none");
  await embedded.stop();
  const tarball = join(folder, "template.tar");
  await writeFile(tarball, Buffer.from(await dump.arrayBuffer()));
  project.provide("postgres", null);
  project.provide("embeddedTemplate", tarball);
  console.log("DATABASE_URL is unset: tests run on the embedded PGlite; tests that need a real PostgreSQL server are skipped");
  return () => rm(folder, { recursive: true, force: true });
}
