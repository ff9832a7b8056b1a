import { Migration } from "@mikro-orm/migrations";

// The schema holds the invariants itself: counters can never go negative or past on_hand,
// a request id takes effect once, and the ledger refuses any edit.
export class Migration20261201000000_foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE warehouse (
        warehouse_id text PRIMARY KEY CONSTRAINT warehouse_id_format CHECK (warehouse_id ~ '^[A-Za-z0-9._-]{1,64}$'),
        display_name text NOT NULL DEFAULT '',
        region text NOT NULL DEFAULT '',
        create_time timestamptz NOT NULL
      )`);
    this.addSql(`
      CREATE TABLE stock_level (
        sku text NOT NULL,
        warehouse_id text NOT NULL REFERENCES warehouse (warehouse_id),
        on_hand bigint NOT NULL DEFAULT 0,
        reserved bigint NOT NULL DEFAULT 0,
        safety_buffer bigint NOT NULL DEFAULT 0,
        version bigint NOT NULL DEFAULT 1,
        update_time timestamptz NOT NULL,
        PRIMARY KEY (sku, warehouse_id),
        CONSTRAINT stock_level_on_hand_nonnegative CHECK (on_hand >= 0),
        CONSTRAINT stock_level_reserved_nonnegative CHECK (reserved >= 0),
        CONSTRAINT stock_level_reserved_within_on_hand CHECK (reserved <= on_hand),
        CONSTRAINT stock_level_safety_buffer_nonnegative CHECK (safety_buffer >= 0)
      )`);
    this.addSql(`
      CREATE TABLE reservation (
        reservation_id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        request_id text NOT NULL UNIQUE,
        order_id text NOT NULL,
        customer_id text NOT NULL DEFAULT '',
        channel text NOT NULL DEFAULT '',
        priority text NOT NULL CONSTRAINT reservation_priority_known CHECK (priority IN ('STANDARD', 'VIP')),
        state text NOT NULL CONSTRAINT reservation_state_known CHECK (state IN ('PENDING', 'ACTIVE', 'RELEASED')),
        release_reason text CONSTRAINT reservation_release_reason_known CHECK (release_reason IN ('SHIPPED', 'CANCELLED')),
        create_time timestamptz NOT NULL,
        update_time timestamptz NOT NULL,
        CONSTRAINT reservation_released_has_reason CHECK ((state = 'RELEASED') = (release_reason IS NOT NULL))
      )`);
    this.addSql(`CREATE INDEX reservation_order_seq_idx ON reservation (order_id, seq)`);
    this.addSql(`CREATE INDEX reservation_state_seq_idx ON reservation (state, seq)`);
    this.addSql(`
      CREATE TABLE reservation_line (
        reservation_id uuid NOT NULL REFERENCES reservation (reservation_id),
        line_index integer NOT NULL CONSTRAINT reservation_line_index_nonnegative CHECK (line_index >= 0),
        sku text NOT NULL,
        warehouse_id text NOT NULL REFERENCES warehouse (warehouse_id),
        requested bigint NOT NULL CONSTRAINT reservation_line_requested_positive CHECK (requested > 0),
        reserved bigint NOT NULL CONSTRAINT reservation_line_reserved_within_requested CHECK (reserved >= 0 AND reserved <= requested),
        PRIMARY KEY (reservation_id, line_index),
        CONSTRAINT reservation_line_one_per_sku UNIQUE (reservation_id, sku)
      )`);
    this.addSql(`CREATE INDEX reservation_line_sku_idx ON reservation_line (sku, warehouse_id)`);
    this.addSql(`
      CREATE TABLE ledger_entry (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        entry_time timestamptz NOT NULL,
        kind text NOT NULL CONSTRAINT ledger_entry_kind_known CHECK (kind IN ('SET_STOCK', 'ADJUST_STOCK', 'RESERVE', 'RELEASE_SHIPPED', 'RELEASE_CANCELLED')),
        sku text NOT NULL,
        warehouse_id text NOT NULL,
        on_hand_delta bigint NOT NULL,
        reserved_delta bigint NOT NULL,
        on_hand_after bigint NOT NULL,
        reserved_after bigint NOT NULL,
        reservation_id uuid,
        request_id text NOT NULL,
        payload jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    this.addSql(`CREATE INDEX ledger_entry_stock_idx ON ledger_entry (sku, warehouse_id, seq)`);
    this.addSql(`
      CREATE FUNCTION ledger_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger_entry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    this.addSql(`CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry FOR EACH ROW EXECUTE FUNCTION ledger_entry_refuse_change()`);
    this.addSql(`CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_refuse_change()`);
    this.addSql(`
      CREATE TABLE idempotency_key (
        request_id text PRIMARY KEY,
        method text NOT NULL,
        request_hash text NOT NULL,
        response bytea NOT NULL,
        create_time timestamptz NOT NULL
      )`);
  }
}
