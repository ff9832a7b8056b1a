import { Migration } from "@mikro-orm/migrations";

// The batch reserve writes everything it decided in one statement; when a guard finds a stock
// level changed, or a request id already answered, that statement must undo all of it. Raising
// an error is how one SQL statement undoes itself: stockhold_run_again raises one with a SQLSTATE
// of our own (SH001 a guard failed, SH002 a request id was answered meanwhile), so the service
// can tell "run the batch again" from a real failure.
export class Migration20261201040000_batch_write extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE FUNCTION stockhold_run_again(code text, reason text) RETURNS integer LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = 'stockhold: run the batch again: ' || reason;
      END
      $$`);
    // The hash chain, kept per statement instead of per row: a batch writes hundreds of entries
    // of one stock level in one statement, and updating its ledger_chain row once per entry made
    // that row the hot spot (a version per entry, and every lookup walking them). The trigger
    // now keeps the statement's open chain (stock level, head, entries added) in transaction-
    // local settings, locks and reads ledger_chain only when the stock level changes, and
    // writes the head back then and at the end of the statement. The entries' hashes are
    // exactly as before. When a statement fails, the rollback of its (sub)transaction reverts
    // the settings with everything else.
    this.addSql(`
      CREATE FUNCTION ledger_chain_flush() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('stockhold.chain_open', true) = 'on' THEN
          UPDATE ledger_chain
             SET head = decode(current_setting('stockhold.chain_head'), 'hex'),
                 entry_count = entry_count + current_setting('stockhold.chain_count')::bigint
           WHERE sku = current_setting('stockhold.chain_sku', true) AND warehouse_id = current_setting('stockhold.chain_warehouse', true);
          PERFORM set_config('stockhold.chain_open', 'off', true);
        END IF;
      END
      $$`);
    this.addSql(`
      CREATE OR REPLACE FUNCTION ledger_entry_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        prev bytea;
      BEGIN
        IF current_setting('stockhold.chain_open', true) = 'on'
           AND current_setting('stockhold.chain_sku', true) = NEW.sku AND current_setting('stockhold.chain_warehouse', true) = NEW.warehouse_id THEN
          prev := decode(current_setting('stockhold.chain_head'), 'hex');
          PERFORM set_config('stockhold.chain_count', (current_setting('stockhold.chain_count')::bigint + 1)::text, true);
        ELSE
          PERFORM ledger_chain_flush();
          SELECT head INTO prev FROM ledger_chain WHERE sku = NEW.sku AND warehouse_id = NEW.warehouse_id FOR UPDATE;
          IF NOT FOUND THEN
            INSERT INTO ledger_chain (sku, warehouse_id, head, entry_count)
            VALUES (NEW.sku, NEW.warehouse_id, decode(repeat('00', 32), 'hex'), 0)
            ON CONFLICT (sku, warehouse_id) DO NOTHING;
            SELECT head INTO prev FROM ledger_chain WHERE sku = NEW.sku AND warehouse_id = NEW.warehouse_id FOR UPDATE;
          END IF;
          PERFORM set_config('stockhold.chain_sku', NEW.sku, true), set_config('stockhold.chain_warehouse', NEW.warehouse_id, true),
                  set_config('stockhold.chain_count', '1', true), set_config('stockhold.chain_open', 'on', true);
        END IF;
        NEW.prev_hash := prev;
        NEW.hash := sha256(prev || ledger_entry_content(NEW));
        PERFORM set_config('stockhold.chain_head', encode(NEW.hash, 'hex'), true);
        RETURN NEW;
      END
      $$`);
    this.addSql(`
      CREATE FUNCTION ledger_entry_chain_flush() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM ledger_chain_flush();
        RETURN NULL;
      END
      $$`);
    this.addSql(`CREATE TRIGGER ledger_entry_hash_chain_flush AFTER INSERT ON ledger_entry FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_chain_flush()`);
  }
}
