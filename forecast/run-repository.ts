// The worker's own SQL: its runs, and the stock levels a run goes through.
import type { Em } from "../src/db/orm.js";

export type RunState = "RUNNING" | "SUCCEEDED" | "FAILED" | "INTERRUPTED";

/** The settings a run was started with; a resumed attempt keeps them. */
export interface RunSettings {
  period: "day" | "week" | "month";
  defaultLeadTimeDays: number;
  reviewPeriods: number;
  serviceLevels: { A: number; B: number; C: number };
  guardrail: number;
}

export interface RunRow {
  runId: string;
  /** The run's day: it reads sales history of the days before it. YYYY-MM-DD. */
  asOf: string;
  state: RunState;
  startTime: Date;
  attemptTime: Date;
  finishTime: Date | null;
  attempts: number;
  settings: RunSettings;
  proposed: number;
  applied: number;
  unchanged: number;
  refused: number;
  failed: number;
  error: string | null;
}

interface RawRun {
  run_id: string; as_of: string; state: RunState; start_time: Date | string; attempt_time: Date | string; finish_time: Date | string | null;
  attempts: number; settings: RunSettings | string; proposed: string; applied: string; unchanged: string; refused: string; failed: string; error: string | null;
}

const runColumns = `run_id, as_of::text AS as_of, state, start_time, attempt_time, finish_time, attempts, settings, proposed, applied, unchanged, refused, failed, error`;

function toRun(r: RawRun): RunRow {
  return {
    runId: r.run_id, asOf: r.as_of, state: r.state, startTime: new Date(r.start_time), attemptTime: new Date(r.attempt_time),
    finishTime: r.finish_time === null ? null : new Date(r.finish_time), attempts: Number(r.attempts),
    settings: typeof r.settings === "string" ? (JSON.parse(r.settings) as RunSettings) : r.settings,
    proposed: Number(r.proposed), applied: Number(r.applied), unchanged: Number(r.unchanged), refused: Number(r.refused), failed: Number(r.failed),
    error: r.error,
  };
}

export async function readRun(em: Em, runId: string): Promise<RunRow | null> {
  const rows = await em.execute<RawRun[]>(`SELECT ${runColumns} FROM forecast_run WHERE run_id = ?`, [runId]);
  return rows[0] ? toRun(rows[0]) : null;
}

/**
 * Starts a run, or a new attempt of one that did not succeed (its day and settings stay). Returns
 * null when the run already succeeded.
 */
export async function beginRun(em: Em, runId: string, asOf: string, settings: RunSettings, time: Date): Promise<RunRow | null> {
  const rows = await em.execute<RawRun[]>(
    `INSERT INTO forecast_run (run_id, as_of, state, start_time, attempt_time, attempts, settings)
     VALUES (?, ?::date, 'RUNNING', ?, ?, 1, ?::jsonb)
     ON CONFLICT (run_id) DO UPDATE
        SET state = 'RUNNING', attempt_time = GREATEST(excluded.attempt_time, forecast_run.start_time), attempts = forecast_run.attempts + 1,
            finish_time = NULL, refused = 0, failed = 0, error = NULL
      WHERE forecast_run.state <> 'SUCCEEDED'
     RETURNING ${runColumns}`,
    [runId, asOf, time, time, JSON.stringify(settings)],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

export type RunCount = "proposed" | "applied" | "unchanged" | "refused" | "failed";

/** Counts one stock level's outcome; inside the transaction that wrote it, so counts stay exact. */
export async function countOutcome(em: Em, runId: string, count: RunCount): Promise<void> {
  await em.execute(`UPDATE forecast_run SET ${count} = ${count} + 1 WHERE run_id = ?`, [runId]);
}

export async function finishRun(em: Em, runId: string, state: Exclude<RunState, "RUNNING">, error: string | null, time: Date): Promise<RunRow> {
  const rows = await em.execute<RawRun[]>(
    `UPDATE forecast_run SET state = ?, error = ?, finish_time = GREATEST(?::timestamptz, attempt_time) WHERE run_id = ? RETURNING ${runColumns}`,
    [state, error, time, runId],
  );
  return toRun(rows[0]!);
}

export interface ForecastLevel {
  sku: string;
  warehouseId: string;
  safetyBuffer: number;
  leadTimeMs: number;
  /** Whether this run already wrote its proposal (a resumed attempt skips it). */
  proposed: boolean;
}

/**
 * One page of the stock levels with sales in [fromDay, toDay), in key order after `after`
 * (keyset pagination: each page costs the same however far the run has gone).
 */
export async function listForecastLevels(
  em: Em, runId: string, after: { sku: string; warehouseId: string } | null, fromDay: string, toDay: string, limit: number,
): Promise<ForecastLevel[]> {
  const rows = await em.execute<{ sku: string; warehouse_id: string; safety_buffer: string; lead_time_ms: string; proposed: boolean }[]>(
    `SELECT s.sku, s.warehouse_id, s.safety_buffer, s.lead_time_ms,
            EXISTS (SELECT 1 FROM buffer_proposal p WHERE p.run_id = ? AND p.sku = s.sku AND p.warehouse_id = s.warehouse_id) AS proposed
       FROM stock_level s
      WHERE ${after ? "(s.sku, s.warehouse_id) > (?, ?) AND" : ""}
            EXISTS (SELECT 1 FROM sales_history h WHERE h.sku = s.sku AND h.warehouse_id = s.warehouse_id AND h.day >= ?::date AND h.day < ?::date)
      ORDER BY s.sku, s.warehouse_id LIMIT ?`,
    [runId, ...(after ? [after.sku, after.warehouseId] : []), fromDay, toDay, limit],
  );
  return rows.map((r) => ({ sku: r.sku, warehouseId: r.warehouse_id, safetyBuffer: Number(r.safety_buffer), leadTimeMs: Number(r.lead_time_ms), proposed: r.proposed }));
}
