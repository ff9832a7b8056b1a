// One run of the forecast worker: for every stock level with sales history, the buffer the
// forecast core proposes at its class's service level, written as a proposal with its rationale,
// and applied at once when the change is within the guardrail (else it waits for a planner).
//
// A run is idempotent and resumable. Its id (one per UTC day unless given) keys everything it
// writes: a stock level that already has a proposal for the run id is skipped, and a policy
// change is applied through SetStockPolicy with request id `${runId}:${sku}:${warehouse}`, in
// the transaction that records the proposal, so a retry can never apply it twice. A resumed
// attempt keeps the run's day and settings.
import type { Logger } from "pino";
import type { Clock } from "../src/app/clock.js";
import { runTransaction } from "../src/app/idempotent.js";
import { InventoryApp } from "../src/app/inventory.js";
import { ServiceError } from "../src/core/failure.js";
import type { Em, Orm } from "../src/db/orm.js";
import { recordProposal, type NewProposal, type StoredRationale } from "../src/db/proposal-repository.js";
import { readDailySales, readSkuVolumes } from "../src/db/sales-repository.js";
import { readStockLevel } from "../src/db/stock-repository.js";
import { aggregateDaily, formatPeriod, periodsCovering, proposeBuffer, seriesFromPoints, type BufferProposal, type Series } from "./index.js";
import { appliedRequestId, checkGuardrail, classifyAbc, decideProposal, runIdFor, type AbcClass } from "./decisions.js";
import type { RunLockProvider } from "./run-lock.js";
import { beginRun, countOutcome, finishRun, listForecastLevels, readRun, type ForecastLevel, type RunRow, type RunSettings } from "./run-repository.js";
import type { WorkerConfig } from "./worker-config.js";
import { historyDaysMax, policyReasonLengthMax, proposalHistoryPeriodsMax, stalePolicyAttemptsMax, stockLevelsPageMax, workerName } from "./worker-limits.js";

const dayMs = 86_400_000;

export interface RunOptions {
  orm: Orm;
  config: WorkerConfig;
  clock: Clock;
  logger: Logger;
  lock: RunLockProvider;
  /** The run to start or resume; by default the run of the clock's UTC day. */
  runId?: string;
  /** Stops the run between stock levels (state INTERRUPTED; run it again to resume). */
  signal?: AbortSignal;
  /** Called after each stock level the run examined. */
  onLevel?: (outcome: LevelOutcome) => void;
}

export type Outcome = "proposed" | "applied" | "unchanged" | "refused" | "failed" | "skipped";

export interface LevelOutcome { sku: string; warehouseId: string; outcome: Outcome; units?: number; previous?: number; problems?: string[] }

export interface RunSummary extends RunRow {
  /** Stock levels this attempt went through, and those it skipped (they had a proposal already). */
  examined: number;
  skipped: number;
}

export type RunResult =
  | { status: "locked"; runId: string }
  | { status: "already_succeeded"; runId: string; run: RunRow }
  | { status: "finished"; runId: string; run: RunSummary };

/** The policy changed between the worker's read and its write: decide again on fresh figures. */
class StalePolicy extends Error {}

export function runSettingsOf(config: WorkerConfig): RunSettings {
  const { period, defaultLeadTimeDays, reviewPeriods, serviceLevels, guardrail } = config;
  return { period, defaultLeadTimeDays, reviewPeriods, serviceLevels, guardrail };
}

/** Runs (or resumes) one run now if no other worker holds the lock. */
export async function runForecastOnce(options: RunOptions): Promise<RunResult> {
  const { orm, clock, logger } = options;
  const started = clock.now();
  const runId = options.runId ?? runIdFor(started);
  const lock = await options.lock();
  if (!lock) {
    logger.info({ runId }, "another forecast worker holds the lock; not running");
    return { status: "locked", runId };
  }
  try {
    const run = await runTransaction(orm, (em) => beginRun(em, runId, started.toISOString().slice(0, 10), runSettingsOf(options.config), started));
    if (!run) {
      const done = (await readRun(orm.em.fork(), runId))!;
      logger.info({ runId }, "run already succeeded; nothing to do");
      return { status: "already_succeeded", runId, run: done };
    }
    if (run.attempts > 1) logger.info({ runId, attempt: run.attempts, asOf: run.asOf }, "resuming forecast run");
    else logger.info({ runId, asOf: run.asOf, settings: run.settings }, "forecast run started");
    const worker = new RunWorker(options, run);
    let state: "SUCCEEDED" | "FAILED" | "INTERRUPTED";
    let error: string | null = null;
    try {
      const end = await worker.runAll(() => lock.lost);
      state = end === "lock_lost" ? "FAILED" : end === "interrupted" ? "INTERRUPTED" : worker.failed > 0 ? "FAILED" : "SUCCEEDED";
      if (end === "lock_lost") error = "lost the advisory lock's connection; resume the run";
      else if (worker.failed > 0) error = `${worker.failed} stock level(s) failed; run again with --run-id ${runId} to resume`;
    } catch (e) {
      logger.error({ err: e, runId }, "forecast run failed");
      state = "FAILED";
      error = e instanceof Error ? e.message : String(e);
    }
    const finished = await runTransaction(orm, (em) => finishRun(em, runId, state, error, clock.now()));
    const summary: RunSummary = { ...finished, examined: worker.examined, skipped: worker.skipped };
    logger.info({ ...summary, settings: undefined }, "forecast run finished");
    return { status: "finished", runId, run: summary };
  } finally {
    await lock.release();
  }
}

class RunWorker {
  examined = 0;
  skipped = 0;
  failed = 0;
  private readonly inventory: InventoryApp;
  private readonly settings: RunSettings;
  private readonly historyFrom: string;
  private readonly asOfDay: number;

  constructor(private readonly options: RunOptions, private readonly run: RunRow) {
    this.inventory = new InventoryApp(options.orm, options.clock);
    this.settings = run.settings;
    this.asOfDay = Date.parse(`${run.asOf}T00:00:00Z`) / dayMs;
    this.historyFrom = formatPeriod(this.asOfDay - historyDaysMax, "day");
  }

  async runAll(lockLost: () => boolean): Promise<"done" | "interrupted" | "lock_lost"> {
    const { orm, signal } = this.options;
    const classes = classifyAbc(await readSkuVolumes(orm.em.fork(), this.historyFrom, this.run.asOf));
    let after: ForecastLevel | null = null;
    for (;;) {
      const page = await listForecastLevels(orm.em.fork(), this.run.runId, after, this.historyFrom, this.run.asOf, stockLevelsPageMax);
      for (const level of page) {
        if (signal?.aborted) return "interrupted";
        if (lockLost()) return "lock_lost";
        this.examined++;
        const outcome = level.proposed ? this.skip(level) : await this.forecastLevel(level, classes.get(level.sku) ?? "C");
        this.options.onLevel?.(outcome);
      }
      after = page[page.length - 1] ?? null;
      if (page.length < stockLevelsPageMax) return "done";
    }
  }

  private skip(level: ForecastLevel): LevelOutcome {
    this.skipped++;
    return { sku: level.sku, warehouseId: level.warehouseId, outcome: "skipped" };
  }

  /** One stock level; any failure but an unreachable database is counted and logged, not thrown. */
  private async forecastLevel(level: ForecastLevel, abcClass: AbcClass): Promise<LevelOutcome> {
    const { orm, logger } = this.options;
    const key = { sku: level.sku, warehouseId: level.warehouseId };
    try {
      const leadTimeMs = level.leadTimeMs > 0 ? level.leadTimeMs : this.settings.defaultLeadTimeDays * dayMs;
      const series = await this.series(level);
      const serviceLevel = this.settings.serviceLevels[abcClass];
      const result = proposeBuffer({
        series, serviceLevel,
        protection: { leadTimePeriods: periodsCovering(leadTimeMs, this.settings.period), reviewPeriods: this.settings.reviewPeriods, leadTimeStdPeriods: 0 },
      });
      if (!result.ok) {
        logger.warn({ runId: this.run.runId, ...key, problems: result.problems }, "the forecast core refused this series");
        await runTransaction(orm, (em) => countOutcome(em, this.run.runId, "refused"));
        return { ...key, outcome: "refused", problems: result.problems };
      }
      return await this.write(level, result.proposal, series, abcClass, serviceLevel, leadTimeMs);
    } catch (error) {
      if (error instanceof ServiceError && error.failure.reason === "DATABASE_UNAVAILABLE") throw error;
      this.failed++;
      logger.error({ err: error, runId: this.run.runId, ...key }, "forecasting a stock level failed");
      await runTransaction(orm, (em) => countOutcome(em, this.run.runId, "failed"));
      return { ...key, outcome: "failed" };
    }
  }

  /** Daily history up to the day before the run, summed into the run's periods (whole ones only). */
  private async series(level: ForecastLevel): Promise<Series> {
    const points = await readDailySales(this.options.orm.em.fork(), level.sku, level.warehouseId, this.historyFrom, this.run.asOf);
    const key = { id: `${level.sku}@${level.warehouseId}`, sku: level.sku, warehouseId: level.warehouseId };
    const first = points[0]?.day ?? this.asOfDay - 1;
    const daily = seriesFromPoints(key, "day", points.map((p) => ({ period: p.day, units: p.units })), first, this.asOfDay - 1);
    return this.settings.period === "day" ? daily : aggregateDaily(daily, this.settings.period);
  }

  private async write(
    level: ForecastLevel, proposal: BufferProposal, series: Series, abcClass: AbcClass, serviceLevel: number, leadTimeMs: number,
  ): Promise<LevelOutcome> {
    const { orm, clock } = this.options;
    const { runId } = this.run;
    const key = { sku: level.sku, warehouseId: level.warehouseId };
    const units = proposal.units;
    const requestId = appliedRequestId(runId, level.sku, level.warehouseId);
    let previous = level.safetyBuffer;
    for (let attempt = 1; ; attempt++) {
      const action = decideProposal(previous, units, this.settings.guardrail);
      const guardrail = { fraction: this.settings.guardrail, ...checkGuardrail(previous, units, this.settings.guardrail) };
      const r = proposal.rationale;
      const rationale: StoredRationale = {
        ...r, adi: Number.isFinite(r.adi) ? r.adi : null, abcClass, buffer: proposal.buffer, previousUnits: previous, leadTimeMs, guardrail,
      };
      const history = series.values.slice(-proposalHistoryPeriodsMax).map((v, i, kept) => ({
        period: formatPeriod(series.start + series.values.length - kept.length + i, series.kind), units: v,
      }));
      const change = `${previous} -> ${units} units, limit ${Math.round(guardrail.limitUnits * 100) / 100}`;
      const record: NewProposal = {
        runId, ...key, state: action === "PROPOSE" ? "PROPOSED" : "APPLIED", proposedUnits: units, previousUnits: previous,
        method: r.method, abcClass, serviceLevel, rationale, forecast: proposal.forecast, history, time: clock.now(),
        decision: action === "PROPOSE" ? null : { decidedBy: workerName, requestId, reason: action === "UNCHANGED" ? `unchanged at ${units} units` : `within the guardrail: ${change}` },
      };
      try {
        if (action === "APPLY") {
          let recorded = false;
          await this.inventory.setStockPolicy({
            requestId, ...key, minStock: null, leadTimeMs: null, autoActivate: null, safetyBuffer: units,
            reason: `forecast run ${runId}: ${r.method} at service level ${serviceLevel}, ${change}`.slice(0, policyReasonLengthMax),
          }, async (em, before) => {
            if (before.safetyBuffer !== previous) throw new StalePolicy();
            await this.record(em, record, "applied");
            recorded = true;
          });
          // The change was answered before without its proposal: impossible while both commit together.
          if (!recorded) throw new Error(`request ${requestId} was answered before, but the run has no proposal for it`);
        } else {
          await runTransaction(orm, async (em) => {
            const locked = await readStockLevel(em, level.sku, level.warehouseId, true);
            if (!locked || locked.safetyBuffer !== previous) throw new StalePolicy();
            await this.record(em, record, action === "UNCHANGED" ? "unchanged" : "proposed");
          });
        }
        const outcome = action === "APPLY" ? "applied" : action === "UNCHANGED" ? "unchanged" : "proposed";
        return { ...key, outcome, units, previous };
      } catch (error) {
        if (!(error instanceof StalePolicy) || attempt >= stalePolicyAttemptsMax) throw error;
        previous = (await readStockLevel(orm.em.fork(), level.sku, level.warehouseId))?.safetyBuffer ?? 0;
      }
    }
  }

  private async record(em: Em, proposal: NewProposal, count: "proposed" | "applied" | "unchanged"): Promise<void> {
    await recordProposal(em, proposal, workerName);
    await countOutcome(em, this.run.runId, count);
  }
}
