import { Migration } from "@mikro-orm/migrations";

// The forecast worker's tables (issue 4): daily sales per stock level, the worker's runs, and
// the safety buffers it proposes with what planners decided about them.
//
// A proposal's life: PROPOSED -> APPLIED (a planner approved it, or the worker applied it itself
// because the change was inside the guardrail), -> OVERRIDDEN (a planner applied another value),
// -> REJECTED (a planner kept the buffer as it was), or -> SUPERSEDED (a later run proposed again
// for the same stock level before anyone decided). Approval applies the buffer in the same
// transaction, so there is no "approved but not applied" state. Every state but PROPOSED is final
// and names who decided, when, and the request that did it.
export class Migration20261201030000_forecast extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE sales_history (
        sku text NOT NULL,
        warehouse_id text NOT NULL REFERENCES warehouse (warehouse_id),
        day date NOT NULL,
        units bigint NOT NULL CONSTRAINT sales_history_units_nonnegative CHECK (units >= 0),
        PRIMARY KEY (sku, warehouse_id, day)
      )`);
    // ABC classification sums a window of days over every SKU.
    this.addSql(`CREATE INDEX sales_history_day_idx ON sales_history (day)`);
    // counts: proposed, applied and unchanged add up over the attempts of a run (a resumed
    // attempt skips the stock levels that already have a proposal); refused and failed are those
    // of the latest attempt, since every attempt tries those stock levels again.
    this.addSql(`
      CREATE TABLE forecast_run (
        run_id text PRIMARY KEY CONSTRAINT forecast_run_id_format CHECK (run_id ~ '^[A-Za-z0-9._-]{1,64}$'),
        as_of date NOT NULL,
        state text NOT NULL CONSTRAINT forecast_run_state_known CHECK (state IN ('RUNNING', 'SUCCEEDED', 'FAILED', 'INTERRUPTED')),
        start_time timestamptz NOT NULL,
        attempt_time timestamptz NOT NULL,
        finish_time timestamptz,
        attempts integer NOT NULL CONSTRAINT forecast_run_attempts_positive CHECK (attempts >= 1),
        settings jsonb NOT NULL CONSTRAINT forecast_run_settings_object CHECK (jsonb_typeof(settings) = 'object'),
        proposed bigint NOT NULL DEFAULT 0 CONSTRAINT forecast_run_proposed_nonnegative CHECK (proposed >= 0),
        applied bigint NOT NULL DEFAULT 0 CONSTRAINT forecast_run_applied_nonnegative CHECK (applied >= 0),
        unchanged bigint NOT NULL DEFAULT 0 CONSTRAINT forecast_run_unchanged_nonnegative CHECK (unchanged >= 0),
        refused bigint NOT NULL DEFAULT 0 CONSTRAINT forecast_run_refused_nonnegative CHECK (refused >= 0),
        failed bigint NOT NULL DEFAULT 0 CONSTRAINT forecast_run_failed_nonnegative CHECK (failed >= 0),
        error text,
        CONSTRAINT forecast_run_finished_unless_running CHECK ((state = 'RUNNING') = (finish_time IS NULL)),
        CONSTRAINT forecast_run_attempt_after_start CHECK (attempt_time >= start_time),
        CONSTRAINT forecast_run_finish_after_attempt CHECK (finish_time IS NULL OR finish_time >= attempt_time),
        CONSTRAINT forecast_run_failure_explained CHECK ((state = 'FAILED') = (error IS NOT NULL))
      )`);
    this.addSql(`
      CREATE TABLE buffer_proposal (
        proposal_id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        run_id text NOT NULL REFERENCES forecast_run (run_id),
        sku text NOT NULL,
        warehouse_id text NOT NULL REFERENCES warehouse (warehouse_id),
        state text NOT NULL CONSTRAINT buffer_proposal_state_known CHECK (state IN ('PROPOSED', 'APPLIED', 'REJECTED', 'OVERRIDDEN', 'SUPERSEDED')),
        proposed_units bigint NOT NULL CONSTRAINT buffer_proposal_proposed_nonnegative CHECK (proposed_units >= 0),
        previous_units bigint NOT NULL CONSTRAINT buffer_proposal_previous_nonnegative CHECK (previous_units >= 0),
        applied_units bigint CONSTRAINT buffer_proposal_applied_nonnegative CHECK (applied_units >= 0),
        method text NOT NULL CONSTRAINT buffer_proposal_method_known CHECK (method IN ('holt_winters', 'seasonal_naive', 'croston_sba', 'tsb')),
        abc_class text NOT NULL CONSTRAINT buffer_proposal_abc_class_known CHECK (abc_class IN ('A', 'B', 'C')),
        service_level double precision NOT NULL CONSTRAINT buffer_proposal_service_level_probability CHECK (service_level > 0 AND service_level < 1),
        rationale jsonb NOT NULL CONSTRAINT buffer_proposal_rationale_object CHECK (jsonb_typeof(rationale) = 'object'),
        forecast jsonb NOT NULL CONSTRAINT buffer_proposal_forecast_object CHECK (jsonb_typeof(forecast) = 'object'),
        history jsonb NOT NULL CONSTRAINT buffer_proposal_history_array CHECK (jsonb_typeof(history) = 'array'),
        decided_by text CONSTRAINT buffer_proposal_decided_by_named CHECK (decided_by <> ''),
        decision_reason text NOT NULL DEFAULT '',
        decision_request_id text,
        decide_time timestamptz,
        create_time timestamptz NOT NULL,
        CONSTRAINT buffer_proposal_one_per_run UNIQUE (run_id, sku, warehouse_id),
        CONSTRAINT buffer_proposal_of_stock_level FOREIGN KEY (sku, warehouse_id) REFERENCES stock_level (sku, warehouse_id),
        CONSTRAINT buffer_proposal_applied_units_when_applied CHECK ((state IN ('APPLIED', 'OVERRIDDEN')) = (applied_units IS NOT NULL)),
        CONSTRAINT buffer_proposal_applied_as_proposed CHECK (state <> 'APPLIED' OR applied_units = proposed_units),
        CONSTRAINT buffer_proposal_decided_by_whom CHECK ((state = 'PROPOSED') = (decided_by IS NULL)),
        CONSTRAINT buffer_proposal_decided_when CHECK ((state = 'PROPOSED') = (decide_time IS NULL)),
        CONSTRAINT buffer_proposal_decided_by_request CHECK ((state = 'PROPOSED') = (decision_request_id IS NULL)),
        CONSTRAINT buffer_proposal_override_explained CHECK (state <> 'OVERRIDDEN' OR decision_reason <> ''),
        CONSTRAINT buffer_proposal_decided_after_created CHECK (decide_time IS NULL OR decide_time >= create_time)
      )`);
    // At most one proposal per stock level waits for a planner: a new run supersedes the old one.
    this.addSql(`CREATE UNIQUE INDEX buffer_proposal_one_open_idx ON buffer_proposal (sku, warehouse_id) WHERE state = 'PROPOSED'`);
    this.addSql(`CREATE INDEX buffer_proposal_state_seq_idx ON buffer_proposal (state, seq)`);
    this.addSql(`CREATE INDEX buffer_proposal_stock_seq_idx ON buffer_proposal (sku, warehouse_id, seq)`);
  }
}
