// Opens MikroORM on PostgreSQL and applies pending migrations.
import { MikroORM, type EntityManager } from "@mikro-orm/postgresql";
import { Migrator } from "@mikro-orm/migrations";
import { entities } from "./entities.js";
import { migrationsList } from "./migrations/index.js";
import { databaseAcquireTimeoutMs, databaseLockTimeoutMs, databaseStatementTimeoutMs } from "../limits.js";

export type Orm = MikroORM;
export type Em = EntityManager;

export interface DatabaseOptions {
  url: string;
  /** Connections in the pool; the embedded database needs exactly 1. */
  poolSize: number;
}

export async function openOrm({ url, poolSize }: DatabaseOptions): Promise<Orm> {
  return MikroORM.init({
    clientUrl: url,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, tableName: "schema_migration", transactional: true, allOrNothing: true, silent: true },
    pool: {
      min: 0, max: poolSize, acquireTimeoutMillis: databaseAcquireTimeoutMs,
      // A stuck lock or query must not hold a connection for ever. Generic plans for prepared
      // statements: the named ones of src/db/prepared.ts (their custom plans are no better, and
      // planning the batch write cost more than running a small batch) and PL/pgSQL's own
      // (primary-key lookups in the triggers). The ORM's statements are not prepared.
      afterCreate: (connection: { query(sql: string, done: (error: Error | null) => void): void }, done: (error: Error | null, connection: unknown) => void) => {
        connection.query(
          `SET lock_timeout = ${databaseLockTimeoutMs}; SET statement_timeout = ${databaseStatementTimeoutMs}; SET plan_cache_mode = force_generic_plan`,
          (error) => done(error, connection),
        );
      },
    },
    // int8 counters come back as strings from raw queries; entities map them to numbers.
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    debug: false,
  });
}

/** Applies every pending migration; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
