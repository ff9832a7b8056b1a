import { Migration } from "@mikro-orm/migrations";

// The batch reserve writes everything in one statement, outside any explicit transaction; when
// a guard finds a stock level changed, or a request id already answered, the statement must undo
// all of it. Raising an error is how one SQL statement undoes itself: this function raises one
// with a SQLSTATE of our own (SH001 a guard failed, SH002 a request id was answered meanwhile),
// so the service can tell "run the batch again" from a real failure.
export class Migration20261201040000_batch_write extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE FUNCTION stockhold_run_again(code text, reason text) RETURNS integer LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = 'stockhold: run the batch again: ' || reason;
      END
      $$`);
  }
}
