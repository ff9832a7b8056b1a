import { Migration } from "@mikro-orm/migrations";

// A hash chain over the ledger, per stock level, kept by a trigger so no writer can skip it;
// reconciliation entries and runs; a counter-drift alert kind.
export class Migration20261201020000_reliability extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE ledger_entry ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea`);
    this.addSql(`
      CREATE TABLE ledger_chain (
        sku text NOT NULL,
        warehouse_id text NOT NULL,
        head bytea NOT NULL,
        entry_count bigint NOT NULL,
        PRIMARY KEY (sku, warehouse_id)
      )`);
    // Each field length-prefixed in bytes, so no choice of values can make two entries read alike.
    this.addSql(`
      CREATE FUNCTION ledger_entry_content(e ledger_entry) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
        SELECT convert_to(string_agg(octet_length(f)::text || ':' || f, ';' ORDER BY i), 'UTF8')
          FROM unnest(ARRAY[
            e.seq::text, ((extract(epoch FROM e.entry_time) * 1000000)::bigint)::text, e.kind, e.sku, e.warehouse_id,
            e.on_hand_delta::text, e.reserved_delta::text, e.on_hand_after::text, e.reserved_after::text,
            coalesce(e.reservation_id::text, ''), e.request_id, e.payload::text
          ]) WITH ORDINALITY AS t(f, i)
      $$`);
    this.addSql(`
      CREATE FUNCTION ledger_entry_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        prev bytea;
      BEGIN
        INSERT INTO ledger_chain (sku, warehouse_id, head, entry_count)
        VALUES (NEW.sku, NEW.warehouse_id, decode(repeat('00', 32), 'hex'), 0)
        ON CONFLICT (sku, warehouse_id) DO NOTHING;
        SELECT head INTO prev FROM ledger_chain WHERE sku = NEW.sku AND warehouse_id = NEW.warehouse_id FOR UPDATE;
        NEW.prev_hash := prev;
        NEW.hash := sha256(prev || ledger_entry_content(NEW));
        UPDATE ledger_chain SET head = NEW.hash, entry_count = entry_count + 1 WHERE sku = NEW.sku AND warehouse_id = NEW.warehouse_id;
        RETURN NEW;
      END
      $$`);
    // Chain the entries written before this migration, in order, then let the trigger keep it.
    this.addSql(`ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_append_only`);
    this.addSql(`
      DO $$
      DECLARE
        e ledger_entry;
        prev bytea;
      BEGIN
        FOR e IN SELECT * FROM ledger_entry ORDER BY sku, warehouse_id, seq LOOP
          SELECT head INTO prev FROM ledger_chain WHERE sku = e.sku AND warehouse_id = e.warehouse_id;
          IF NOT FOUND THEN
            prev := decode(repeat('00', 32), 'hex');
            INSERT INTO ledger_chain VALUES (e.sku, e.warehouse_id, prev, 0);
          END IF;
          UPDATE ledger_entry SET prev_hash = prev, hash = sha256(prev || ledger_entry_content(e)) WHERE seq = e.seq;
          UPDATE ledger_chain SET head = sha256(prev || ledger_entry_content(e)), entry_count = entry_count + 1
           WHERE sku = e.sku AND warehouse_id = e.warehouse_id;
        END LOOP;
      END
      $$`);
    this.addSql(`ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_append_only`);
    this.addSql(`ALTER TABLE ledger_entry ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL`);
    this.addSql(`CREATE TRIGGER ledger_entry_hash_chain BEFORE INSERT ON ledger_entry FOR EACH ROW EXECUTE FUNCTION ledger_entry_chain()`);
    this.addSql(`
      ALTER TABLE ledger_entry DROP CONSTRAINT ledger_entry_kind_known,
        ADD CONSTRAINT ledger_entry_kind_known CHECK (kind IN (
          'SET_STOCK', 'ADJUST_STOCK', 'RESERVE', 'RELEASE_SHIPPED', 'RELEASE_CANCELLED', 'RELEASE_EXPIRED', 'FILL', 'DEMOTE', 'POLICY', 'RECONCILE'))`);
    this.addSql(`
      ALTER TABLE alert DROP CONSTRAINT alert_kind_known,
        ADD CONSTRAINT alert_kind_known CHECK (kind IN ('RESERVATIONS_AT_RISK', 'COUNTER_DRIFT')),
        DROP CONSTRAINT alert_units_short_positive,
        ADD CONSTRAINT alert_units_short_nonnegative CHECK (units_short >= 0)`);
    this.addSql(`
      CREATE TABLE reconciliation_run (
        run_id uuid PRIMARY KEY,
        start_time timestamptz NOT NULL,
        finish_time timestamptz NOT NULL,
        stock_levels bigint NOT NULL,
        exact bigint NOT NULL,
        repaired bigint NOT NULL,
        unexplained bigint NOT NULL,
        accuracy double precision NOT NULL CONSTRAINT reconciliation_run_accuracy_share CHECK (accuracy >= 0 AND accuracy <= 1)
      )`);
  }
}
