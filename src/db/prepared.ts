// Named prepared statements for the hottest statements, run through knex on the entity manager's
// transaction. The ORM's execute() writes every parameter into the SQL text, so PostgreSQL parses
// and plans each call from scratch; a batch of a few reservations spent more on planning its two
// statements than on running them. A named statement is parsed once per connection, and planned
// once too: src/db/orm.ts sets plan_cache_mode = force_generic_plan on every connection.
import type { Knex } from "@mikro-orm/postgresql";
import type { Em } from "./orm.js";

/** Runs `sql` (with `?` placeholders) as the prepared statement `name`; one text per name. */
export async function runPrepared<T>(em: Em, name: string, sql: string, params: unknown[]): Promise<T[]> {
  const knex = (em.getTransactionContext<Knex.Transaction>() ?? em.getConnection().getKnex()) as Knex;
  const result = (await knex.raw(sql, params as Knex.RawBinding[]).options({ name })) as { rows: T[] };
  return result.rows;
}
