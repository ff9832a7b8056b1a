import { Migration } from "@mikro-orm/migrations";

// Waiting queue, stock policies, expiring holds and shortfall alerts.
export class Migration20261201010000_scarcity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE stock_level
        ADD COLUMN min_stock bigint NOT NULL DEFAULT 0 CONSTRAINT stock_level_min_stock_nonnegative CHECK (min_stock >= 0),
        ADD COLUMN lead_time_ms bigint NOT NULL DEFAULT 0 CONSTRAINT stock_level_lead_time_nonnegative CHECK (lead_time_ms >= 0),
        ADD COLUMN auto_activate boolean NOT NULL DEFAULT true,
        ADD COLUMN policy_update_time timestamptz`);
    this.addSql(`
      ALTER TABLE reservation
        ADD COLUMN wait_for_stock boolean NOT NULL DEFAULT false,
        ADD COLUMN expire_time timestamptz,
        DROP CONSTRAINT reservation_release_reason_known,
        ADD CONSTRAINT reservation_release_reason_known CHECK (release_reason IN ('SHIPPED', 'CANCELLED', 'EXPIRED'))`);
    this.addSql(`CREATE INDEX reservation_expiring_idx ON reservation (expire_time) WHERE state <> 'RELEASED' AND expire_time IS NOT NULL`);
    // queue_rank and queue_seq copy the reservation's priority (0 VIP, 1 standard) and arrival,
    // so one index serves the fill order and, read backwards, the demotion order.
    this.addSql(`
      ALTER TABLE reservation_line
        ADD COLUMN waiting bigint NOT NULL DEFAULT 0,
        ADD COLUMN expected_time timestamptz,
        ADD COLUMN live boolean NOT NULL DEFAULT true,
        ADD COLUMN queue_rank smallint NOT NULL DEFAULT 1 CONSTRAINT reservation_line_queue_rank_known CHECK (queue_rank IN (0, 1)),
        ADD COLUMN queue_seq bigint NOT NULL DEFAULT 0,
        ADD CONSTRAINT reservation_line_waiting_within_requested CHECK (waiting >= 0 AND reserved + waiting <= requested),
        ADD CONSTRAINT reservation_line_released_waits_for_nothing CHECK (live OR waiting = 0)`);
    this.addSql(`CREATE INDEX reservation_line_waiting_idx ON reservation_line (sku, warehouse_id, queue_rank, queue_seq) WHERE live AND waiting > 0`);
    this.addSql(`CREATE INDEX reservation_line_held_idx ON reservation_line (sku, warehouse_id, queue_rank, queue_seq) WHERE live AND reserved > 0`);
    this.addSql(`
      ALTER TABLE ledger_entry DROP CONSTRAINT ledger_entry_kind_known,
        ADD CONSTRAINT ledger_entry_kind_known CHECK (kind IN (
          'SET_STOCK', 'ADJUST_STOCK', 'RESERVE', 'RELEASE_SHIPPED', 'RELEASE_CANCELLED', 'RELEASE_EXPIRED', 'FILL', 'DEMOTE', 'POLICY'))`);
    this.addSql(`
      CREATE TABLE alert (
        alert_id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        kind text NOT NULL CONSTRAINT alert_kind_known CHECK (kind IN ('RESERVATIONS_AT_RISK')),
        sku text NOT NULL,
        warehouse_id text NOT NULL,
        units_short bigint NOT NULL CONSTRAINT alert_units_short_positive CHECK (units_short > 0),
        affected jsonb NOT NULL,
        message text NOT NULL,
        request_id text NOT NULL,
        create_time timestamptz NOT NULL
      )`);
    this.addSql(`CREATE INDEX alert_stock_seq_idx ON alert (sku, warehouse_id, seq)`);
  }
}
