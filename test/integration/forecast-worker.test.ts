// The forecast worker over seeded seasonal sales history: proposals with their rationale,
// auto-applied within the guardrail (through SetStockPolicy: ledger POLICY entry, waiting orders
// filled), larger changes left PROPOSED; idempotent and resumable by run id; one worker at a time.
import { beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { pino } from "pino";
import { runWorkerCommand, type CommandDeps } from "../../forecast/db-commands.js";
import { classifyAbc } from "../../forecast/decisions.js";
import { aggregateDaily, periodsCovering, proposeBuffer, seriesFromPoints } from "../../forecast/index.js";
import { advisoryRunLock, embeddedRunLock, type RunLockProvider } from "../../forecast/run-lock.js";
import { parseWorkerConfig, type WorkerConfig } from "../../forecast/worker-config.js";
import { runLockKeys } from "../../forecast/worker-limits.js";
import { runForecastOnce, type RunResult } from "../../forecast/worker.js";
import { ReservationState } from "../../src/gen/inventory/v1/reservation.js";
import { ManualClock } from "../support/clock.js";
import { onRealPostgres } from "../support/database.js";
import { newRequestId, newWarehouse, reserveRequest, unique } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { useTestServer } from "../support/harness.js";
import { dayMs, dayOrdinal, insertHistory, seasonalHistory } from "../support/sales-history.js";

if (!onRealPostgres()) console.log("test/integration/forecast-worker: one test skipped, the advisory lock needs a second connection, and the embedded database takes one");

const day = dayMs;
const clock = new ManualClock(new Date("2026-12-01T02:00:00Z"));
const { db, server } = useTestServer(clock);
const logger = pino({ level: "silent" });
const config: WorkerConfig = (() => {
  const parsed = parseWorkerConfig({});
  if (!parsed.ok) throw new Error("default settings must parse");
  return parsed.value;
})();
const lock = (): RunLockProvider => (db.kind === "postgres" ? advisoryRunLock(db.url) : embeddedRunLock);
const run = (over: Partial<Parameters<typeof runForecastOnce>[0]> = {}) => runForecastOnce({ orm: db.orm, config, clock, logger, lock: lock(), ...over });
const finished = (result: RunResult) => {
  if (result.status !== "finished") throw new Error(`expected a finished run, got ${result.status}`);
  return result.run;
};

const firstDay = dayOrdinal("2022-12-01");
const asOfDay = dayOrdinal("2026-12-01");
const history4y = (seed: number, dailyMean: number) => seasonalHistory(seed, dailyMean, firstDay, asOfDay);
const insert = (sku: string, warehouseId: string, points: { day: number; units: number }[]) => insertHistory(db, sku, warehouseId, points);

/** What the forecast core proposes for this history, computed here independently of the worker. */
function coreUnits(points: { day: number; units: number }[], serviceLevel: number, leadTimeMs: number): number {
  const key = { id: "k", sku: "k", warehouseId: "w" };
  const series = aggregateDaily(seriesFromPoints(key, "day", points.map((p) => ({ period: p.day, units: p.units })), points[0]!.day, asOfDay - 1), "month");
  const result = proposeBuffer({ series, serviceLevel, protection: { leadTimePeriods: periodsCovering(leadTimeMs, "month"), reviewPeriods: 0, leadTimeStdPeriods: 0 } });
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.proposal.units;
}

const setBuffer = (sku: string, warehouseId: string, units: number, leadTimeDays = 0) =>
  server.inventory.setStockPolicy({
    requestId: newRequestId(), sku, warehouseId, safetyBuffer: String(units), reason: "test setup",
    ...(leadTimeDays > 0 ? { leadTime: { seconds: String(leadTimeDays * 86_400), nanos: 0 } } : {}),
  });

interface ProposalRecord {
  proposal_id: string; run_id: string; sku: string; state: string; proposed_units: string; previous_units: string; applied_units: string | null;
  abc_class: string; service_level: number; method: string; decided_by: string | null; decision_reason: string; decision_request_id: string | null;
  rationale: Record<string, unknown> & { protectionInterval: { leadTimePeriods: number; first: string }; guardrail: { within: boolean }; previousUnits: number };
  forecast: { periods: { period: string }[]; total: number }; history: { period: string; units: number }[];
}
const proposals = (where = "TRUE", params: unknown[] = []) =>
  db.query<ProposalRecord>(`SELECT * FROM buffer_proposal WHERE ${where} ORDER BY seq`, params);
const bufferOf = async (sku: string) => Number((await db.query<{ b: string }>(`SELECT safety_buffer AS b FROM stock_level WHERE sku = ?`, [sku]))[0]!.b);
const snapshot = async () => db.query(`SELECT
    (SELECT count(*) FROM buffer_proposal) AS proposals, (SELECT count(*) FROM ledger_entry) AS ledger,
    (SELECT count(*) FROM idempotency_key) AS answers, (SELECT jsonb_agg(to_jsonb(r) ORDER BY run_id) FROM forecast_run r) AS runs,
    (SELECT jsonb_agg(jsonb_build_array(sku, safety_buffer) ORDER BY sku) FROM stock_level) AS buffers`);

let warehouseId: string;
const skus = { apply: "", propose: "", same: "", short: "", none: "" };
const expected = { apply: 0, propose: 0, same: 0 };
const previous = { apply: 0, propose: 0, same: 0 };
let waitingOrder = "";
let waitingUnits = 0;

beforeAll(async () => {
  warehouseId = await newWarehouse(server);
  for (const name of Object.keys(skus) as (keyof typeof skus)[]) {
    skus[name] = unique(`FC-${name.toUpperCase()}`);
    await server.inventory.setStock({ requestId: newRequestId(), sku: skus[name], warehouseId, onHand: "0" });
  }
  const history = { apply: history4y(1, 12), propose: history4y(2, 6), same: history4y(3, 1) };
  for (const name of ["apply", "propose", "same"] as const) await insert(skus[name], warehouseId, history[name]);
  // Too short for one whole month before the run's day: the core refuses it.
  await insert(skus.short, warehouseId, [{ day: asOfDay - 3, units: 2 }, { day: asOfDay - 2, units: 1 }]);
  // Sales on or after the run's day are not history yet.
  await insert(skus.none, warehouseId, [{ day: asOfDay, units: 5 }]);

  const volumes = Object.entries(history).map(([name, points]) => ({ sku: skus[name as keyof typeof history], units: points.reduce((s, p) => s + p.units, 0) }));
  volumes.push({ sku: skus.short, units: 3 });
  const classes = classifyAbc(volumes);
  const levelOf = (sku: string) => config.serviceLevels[classes.get(sku)!];
  expected.apply = coreUnits(history.apply, levelOf(skus.apply), 7 * day);
  expected.propose = coreUnits(history.propose, levelOf(skus.propose), 45 * day);
  expected.same = coreUnits(history.same, levelOf(skus.same), 7 * day);

  // Within the guardrail, and lower: the units it frees go to a waiting order.
  previous.apply = Math.ceil(expected.apply * 1.25);
  previous.propose = 0;
  previous.same = expected.same;
  await setBuffer(skus.apply, warehouseId, previous.apply);
  await setBuffer(skus.propose, warehouseId, previous.propose, 45);
  await setBuffer(skus.same, warehouseId, previous.same);
  await server.inventory.setStock({ requestId: newRequestId(), sku: skus.apply, warehouseId, onHand: String(previous.apply) });
  waitingUnits = Math.min(3, previous.apply - expected.apply);
  const order = await server.reservations.reserve(reserveRequest([{ sku: skus.apply, quantity: waitingUnits, warehouseId }], { waitForStock: true }));
  waitingOrder = order.reservation!.reservationId;
}, 120_000);

describe("a forecast run", () => {
  it("the generated history makes buffers worth testing", () => {
    expect(expected.apply).toBeGreaterThan(4);
    expect(expected.propose).toBeGreaterThan(0);
    expect(waitingUnits).toBeGreaterThan(0);
  });

  it("writes a proposal per stock level with history, applies changes within the guardrail, and leaves larger ones PROPOSED", async () => {
    const summary = finished(await run());
    expect(summary).toMatchObject({
      runId: "forecast-2026-12-01", asOf: "2026-12-01", state: "SUCCEEDED", attempts: 1, examined: 4, skipped: 0,
      applied: 1, proposed: 1, unchanged: 1, refused: 1, failed: 0, error: null,
    });
    const written = await proposals("run_id = ?", [summary.runId]);
    const bySku = new Map(written.map((p) => [p.sku, p]));
    expect(written).toHaveLength(3);

    const applied = bySku.get(skus.apply)!;
    expect(applied).toMatchObject({
      state: "APPLIED", proposed_units: String(expected.apply), previous_units: String(previous.apply), applied_units: String(expected.apply),
      decided_by: "forecast-worker", decision_request_id: `forecast-2026-12-01:${skus.apply}:${warehouseId}`,
    });
    expect(applied.decision_reason).toMatch(/^within the guardrail: /);
    expect(await bufferOf(skus.apply)).toBe(expected.apply);
    const policy = await db.query<{ payload: { after: { safety_buffer: number }; reason: string } }>(
      `SELECT payload FROM ledger_entry WHERE sku = ? AND kind = 'POLICY' AND request_id = ?`, [skus.apply, applied.decision_request_id]);
    expect(policy.map((p) => p.payload.after.safety_buffer)).toEqual([expected.apply]);
    expect(policy[0]!.payload.reason).toMatch(/^forecast run forecast-2026-12-01: /);
    // Lowering the buffer freed units: the waiting order got them in the same transaction.
    const order = (await server.reservations.getReservation({ reservationId: waitingOrder })).reservation!;
    expect([order.state, order.lines[0]!.reservedQuantity]).toEqual([ReservationState.RESERVATION_STATE_ACTIVE, String(waitingUnits)]);

    const proposed = bySku.get(skus.propose)!;
    expect(proposed).toMatchObject({ state: "PROPOSED", proposed_units: String(expected.propose), previous_units: "0", applied_units: null, decided_by: null });
    expect(proposed.rationale.protectionInterval.leadTimePeriods).toBe(2);
    expect(proposed.rationale.guardrail.within).toBe(false);
    expect(await bufferOf(skus.propose)).toBe(0);

    const same = bySku.get(skus.same)!;
    expect(same).toMatchObject({ state: "APPLIED", proposed_units: String(expected.same), applied_units: String(expected.same), decision_reason: `unchanged at ${expected.same} units` });
    expect(await db.query(`SELECT 1 FROM ledger_entry WHERE request_id = ?`, [same.decision_request_id])).toEqual([]);

    expect(bySku.has(skus.short)).toBe(false);
    expect(bySku.has(skus.none)).toBe(false);
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("records the rationale, the class's service level, the forecast and the recent history with each proposal", async () => {
    const [p] = await proposals("sku = ? AND run_id = 'forecast-2026-12-01'", [skus.apply]);
    expect(p!.abc_class).toBe("A");
    expect(p!.service_level).toBe(0.98);
    expect(p!.rationale).toMatchObject({
      method: p!.method, periodKind: "month", historyPeriods: 48, serviceLevel: 0.98, abcClass: "A", previousUnits: previous.apply, leadTimeMs: 7 * day,
      protectionInterval: { leadTimePeriods: 1, reviewPeriods: 0, periods: 1, first: "2026-12", last: "2026-12" },
    });
    expect(p!.rationale).toHaveProperty("errorQuantile");
    expect(p!.rationale).toHaveProperty("normalFormula");
    expect(p!.forecast.periods.map((f) => f.period)).toEqual(["2026-12"]);
    expect(p!.forecast.total).toBeGreaterThan(0);
    expect(p!.history).toHaveLength(36);
    expect([p!.history[0]!.period, p!.history[35]!.period]).toEqual(["2023-12", "2026-11"]);
  });

  it("is idempotent: running the same run id again writes nothing new", async () => {
    const before = await snapshot();
    expect((await run()).status).toBe("already_succeeded");
    let stdout = "";
    const deps: CommandDeps = {
      env: {}, clock, logger, stdout: (t) => (stdout += t),
      openDatabase: async () => ({ orm: db.orm, lock: lock(), close: async () => undefined }),
    };
    expect(await runWorkerCommand(["--once", "--run-id", "forecast-2026-12-01"], deps)).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: "already_succeeded", runId: "forecast-2026-12-01", state: "SUCCEEDED" });
    expect(await snapshot()).toEqual(before);
  });

  it("is resumable: an interrupted run goes on where it stopped, and supersedes proposals still waiting from earlier runs", async () => {
    const runId = "resume-test";
    const controller = new AbortController();
    const interrupted = finished(await run({ runId, signal: controller.signal, onLevel: () => controller.abort() }));
    expect(interrupted).toMatchObject({ state: "INTERRUPTED", attempts: 1, examined: 1 });
    const first = await proposals("run_id = ?", [runId]);
    expect(first).toHaveLength(1);

    const resumed = finished(await run({ runId }));
    expect(resumed).toMatchObject({ state: "SUCCEEDED", attempts: 2, examined: 4, skipped: 1, refused: 1, failed: 0 });
    const all = await proposals("run_id = ?", [runId]);
    expect(all).toHaveLength(3);
    expect(all[0]!.proposal_id).toBe(first[0]!.proposal_id);
    expect(resumed.proposed + resumed.applied + resumed.unchanged).toBe(3);
    // The buffer applied last night is what this run finds now: unchanged.
    expect(all.find((p) => p.sku === skus.apply)).toMatchObject({ state: "APPLIED", previous_units: String(expected.apply), decision_reason: `unchanged at ${expected.apply} units` });
    // One proposal waits per stock level: the new one; the earlier run's is superseded.
    expect((await proposals("sku = ?", [skus.propose])).map((p) => [p.run_id, p.state, p.decided_by])).toEqual([
      ["forecast-2026-12-01", "SUPERSEDED", "forecast-worker"], [runId, "PROPOSED", null],
    ]);
    expect((await run({ runId })).status).toBe("already_succeeded");
  });

  it.each([
    ["week", "2026-W48", "2026-W49"],
    ["day", "2026-11-30", "2026-12-01"],
  ])("forecasts in %ss when FORECAST_PERIOD says so", async (period, lastHistory, firstForecast) => {
    const parsed = parseWorkerConfig({ FORECAST_PERIOD: period, FORECAST_GUARDRAIL: "0" });
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    const summary = finished(await run({ runId: `period-${period}`, config: parsed.value }));
    expect(summary).toMatchObject({ state: "SUCCEEDED", failed: 0, settings: { period } });
    const [p] = await proposals("run_id = ? AND sku = ?", [summary.runId, skus.propose]);
    expect(p!.rationale).toMatchObject({ periodKind: period });
    expect(p!.history.at(-1)!.period).toBe(lastHistory);
    expect(p!.forecast.periods[0]!.period).toBe(firstForecast);
  });

  it("the run's command refuses bad settings and arguments with exit code 2", async () => {
    let stderr = "";
    const deps: CommandDeps = { env: { FORECAST_PERIOD: "year" }, stderr: (t) => (stderr += t), openDatabase: () => Promise.reject(new Error("must not open")) };
    expect(await runWorkerCommand(["--once"], deps)).toBe(2);
    expect(stderr).toMatch(/FORECAST_PERIOD must be month, week or day/);
    expect(await runWorkerCommand(["--run-id", "x"], { ...deps, env: {} })).toBe(2);
    expect(await runWorkerCommand(["--once", "--run-id", "a:b"], { ...deps, env: {} })).toBe(2);
  });

  it("runs on its schedule until stopped", async () => {
    const later = new ManualClock(new Date("2026-12-02T02:00:00Z"));
    const stop = new AbortController();
    const results: RunResult[] = [];
    const code = await runWorkerCommand([], {
      env: { FORECAST_SCHEDULE: "* * * * * *" }, clock: later, logger, signal: stop.signal,
      openDatabase: async () => ({ orm: db.orm, lock: lock(), close: async () => undefined }),
      onRun: (r) => {
        results.push(r);
        stop.abort();
      },
    });
    expect(code).toBe(0);
    expect(results.map((r) => [r.status, r.runId])).toEqual([["finished", "forecast-2026-12-02"]]);
    expect(finished(results[0]!).state).toBe("SUCCEEDED");
  });
});

describe("one worker at a time", () => {
  it.skipIf(!onRealPostgres())("a run does not start while another worker holds the advisory lock (real PostgreSQL only; on the embedded database the lock is trivially held)", async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock($1, $2)`, [...runLockKeys]);
      const before = await snapshot();
      expect(await run({ runId: "locked-out" })).toEqual({ status: "locked", runId: "locked-out" });
      let stdout = "";
      const code = await runWorkerCommand(["--once", "--run-id", "locked-out"], {
        env: {}, clock, logger, stdout: (t) => (stdout += t), openDatabase: async () => ({ orm: db.orm, lock: lock(), close: async () => undefined }),
      });
      expect([code, JSON.parse(stdout)]).toEqual([3, { status: "locked", runId: "locked-out" }]);
      expect(await snapshot()).toEqual(before);
    } finally {
      await holder.end();
    }
    // Two workers started at once: one runs, the other finds the lock taken.
    const results = await Promise.all([run({ runId: "race" }), run({ runId: "race" })]);
    expect(results.map((r) => r.status).sort()).toEqual(["finished", "locked"]);
    expect(await db.query(`SELECT attempts FROM forecast_run WHERE run_id = 'race'`)).toEqual([{ attempts: 1 }]);
  });
});
