// The benchmark's own database on the real PostgreSQL: created fresh, seeded set-based per line,
// audited in SQL written independently of the service code, dropped at the end.
import pg from "pg";
import type { Scenario } from "./scenarios.js";
import { warehouseName } from "./scenarios.js";
import type { WorkerTotals } from "./protocol.js";

export interface BenchDatabase {
  name: string;
  url: string;
  client: pg.Client;
  drop(): Promise<void>;
}

function withDatabase(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createDatabase(adminUrl: string, name: string): Promise<BenchDatabase> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let dropped = false;
  return {
    name, url, client,
    async drop() {
      if (dropped) return;
      dropped = true;
      await client.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/**
 * One warehouse for the line, its SKUs with their units, and for each a SET_STOCK ledger entry
 * equal to its counters, so the ledger replays to the seeded state. Set-based: one statement each.
 */
export async function seedLine(client: pg.Client, line: string, scenario: Scenario): Promise<void> {
  const warehouseId = warehouseName(line);
  await client.query("BEGIN");
  try {
    await client.query(`INSERT INTO warehouse (warehouse_id, display_name, region, create_time) VALUES ($1, $2, 'bench', now())`, [warehouseId, `bench line ${line}`]);
    await client.query(
      `WITH s AS (
         INSERT INTO stock_level (sku, warehouse_id, on_hand, reserved, update_time)
         SELECT $1 || '-' || i, $2, $3::bigint, 0, now() FROM generate_series(0, $4::int - 1) AS i
         RETURNING sku, warehouse_id, on_hand
       )
       INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta, on_hand_after, reserved_after, request_id, payload)
       SELECT now(), 'SET_STOCK', sku, warehouse_id, on_hand, 0, on_hand, 0, 'bench-seed-' || $1, jsonb_build_object('counted', on_hand, 'previous', 0, 'bench_seed', true)
         FROM s`,
      [line, warehouseId, scenario.unitsPerSku, scenario.skuCount],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
  // Fresh statistics, so the planner treats every line's tables alike.
  await client.query("ANALYZE stock_level");
}

export interface AuditCheck { name: string; ok: boolean; detail: string }
export interface LineAudit { ok: boolean; checks: AuditCheck[]; resolvedUnknownCalls: number }

const n = (v: unknown): number => Number(v ?? 0);

/** Adds the totals of every worker of a line. */
export function sumTotals(all: WorkerTotals[]): WorkerTotals {
  const t: WorkerTotals = {
    reserveOk: 0, batchCallsOk: 0, batchResultsOk: 0, reserveRejected: 0, reserveFailed: 0, unitsGranted: 0,
    releaseOk: { SHIPPED: 0, CANCELLED: 0 }, unitsReleased: { SHIPPED: 0, CANCELLED: 0 }, releaseFailed: 0,
    unknownReserves: [], unknownReleases: [],
  };
  for (const w of all) {
    t.reserveOk += w.reserveOk;
    t.batchCallsOk += w.batchCallsOk;
    t.batchResultsOk += w.batchResultsOk;
    t.reserveRejected += w.reserveRejected;
    t.reserveFailed += w.reserveFailed;
    t.unitsGranted += w.unitsGranted;
    t.releaseFailed += w.releaseFailed;
    for (const r of ["SHIPPED", "CANCELLED"] as const) {
      t.releaseOk[r] += w.releaseOk[r];
      t.unitsReleased[r] += w.unitsReleased[r];
    }
    t.unknownReserves.push(...w.unknownReserves);
    t.unknownReleases.push(...w.unknownReleases);
  }
  return t;
}

/**
 * The audit of one line, over its warehouse: the database must hold exactly what the answers
 * said (units reserved equal units granted, minus units released; one reservation per successful
 * Reserve call or BatchReserve result, and none for a failed one), never reserved above on_hand, reserved equal to the ACTIVE
 * lines, and a ledger whose replay, entry by entry, gives the counters.
 */
export async function auditLine(client: pg.Client, line: string, scenario: Scenario, totals: WorkerTotals): Promise<LineAudit> {
  const warehouseId = warehouseName(line);
  const checks: AuditCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  // Calls whose answer never arrived: the database says what they did.
  let lateReserves = 0;
  let lateUnits = 0;
  if (totals.unknownReserves.length > 0) {
    const { rows } = await client.query(
      `SELECT count(DISTINCT r.reservation_id) AS reservations, COALESCE(sum(l.reserved), 0) AS units
         FROM reservation r JOIN reservation_line l USING (reservation_id) WHERE r.request_id = ANY($1::text[])`,
      [totals.unknownReserves],
    );
    lateReserves = n(rows[0]?.reservations);
    lateUnits = n(rows[0]?.units);
  }
  const lateReleased = { SHIPPED: 0, CANCELLED: 0 };
  const lateReleasedUnits = { SHIPPED: 0, CANCELLED: 0 };
  if (totals.unknownReleases.length > 0) {
    const { rows } = await client.query(
      `SELECT reservation_id::text AS id, release_reason FROM reservation WHERE reservation_id = ANY($1::uuid[]) AND state = 'RELEASED'`,
      [totals.unknownReleases.map((u) => u.reservationId)],
    );
    const byId = new Map(totals.unknownReleases.map((u) => [u.reservationId, u]));
    for (const r of rows) {
      const u = byId.get(r.id as string);
      const reason = r.release_reason as "SHIPPED" | "CANCELLED";
      if (!u || (reason !== "SHIPPED" && reason !== "CANCELLED")) continue;
      lateReleased[reason]++;
      lateReleasedUnits[reason] += u.units;
    }
  }
  const resolvedUnknownCalls = totals.unknownReserves.length + totals.unknownReleases.length;

  const shipped = totals.releaseOk.SHIPPED + lateReleased.SHIPPED;
  const cancelled = totals.releaseOk.CANCELLED + lateReleased.CANCELLED;
  const unitsShipped = totals.unitsReleased.SHIPPED + lateReleasedUnits.SHIPPED;
  const unitsCancelled = totals.unitsReleased.CANCELLED + lateReleasedUnits.CANCELLED;
  const granted = totals.unitsGranted + lateUnits;
  // A reservation per OK Reserve answer and per batch result holding one (not per BatchReserve call).
  const reservations = totals.reserveOk + totals.batchResultsOk + lateReserves;
  const expectedReserved = granted - unitsShipped - unitsCancelled;
  const expectedOnHand = scenario.skuCount * scenario.unitsPerSku - unitsShipped;

  const { rows: [stock] } = await client.query(
    `SELECT count(*) AS levels, COALESCE(sum(on_hand), 0) AS on_hand, COALESCE(sum(reserved), 0) AS reserved,
            count(*) FILTER (WHERE reserved < 0 OR reserved > on_hand) AS violations,
            COALESCE(sum(on_hand - reserved - GREATEST(safety_buffer, min_stock)), 0) AS available
       FROM stock_level WHERE warehouse_id = $1`,
    [warehouseId],
  );
  check("seeded levels present", n(stock.levels) === scenario.skuCount, `${n(stock.levels)} of ${scenario.skuCount}`);
  check("0 <= reserved <= on_hand (no oversell)", n(stock.violations) === 0, `${n(stock.violations)} stock levels out of bounds`);
  check("units reserved = units granted in answers - units released", n(stock.reserved) === expectedReserved,
    `database ${n(stock.reserved)}, answers ${granted} granted - ${unitsShipped} shipped - ${unitsCancelled} cancelled = ${expectedReserved}`);
  check("on_hand = seeded - shipped", n(stock.on_hand) === expectedOnHand, `database ${n(stock.on_hand)}, expected ${expectedOnHand}`);
  if (scenario.sellsOut && totals.reserveRejected > 0) {
    check("sold out before refusing (no stranded units)", n(stock.available) === 0, `${n(stock.available)} units still available after ${totals.reserveRejected} refusals`);
  }

  const { rows: [res] } = await client.query(
    `SELECT count(*) AS total,
            count(*) FILTER (WHERE r.state = 'ACTIVE') AS active,
            count(*) FILTER (WHERE r.state = 'RELEASED' AND r.release_reason = 'SHIPPED') AS shipped,
            count(*) FILTER (WHERE r.state = 'RELEASED' AND r.release_reason = 'CANCELLED') AS cancelled,
            count(*) FILTER (WHERE r.state NOT IN ('ACTIVE', 'RELEASED') OR (r.state = 'RELEASED' AND r.release_reason NOT IN ('SHIPPED', 'CANCELLED'))) AS other
       FROM reservation r WHERE r.reservation_id IN (SELECT reservation_id FROM reservation_line WHERE warehouse_id = $1)`,
    [warehouseId],
  );
  const answered = totals.batchCallsOk === 0 ? `successful calls ${totals.reserveOk}`
    : `successful results ${totals.batchResultsOk} of ${totals.batchCallsOk} BatchReserve calls${totals.reserveOk ? ` + ${totals.reserveOk} Reserve calls` : ""}`;
  check("one reservation per successful reserve (call, or batch result), none for a failed one", n(res.total) === reservations,
    `database ${n(res.total)}, ${answered}${lateReserves ? ` + ${lateReserves} found for unanswered requests` : ""} = ${reservations}`);
  check("reservation states match the answers", n(res.shipped) === shipped && n(res.cancelled) === cancelled && n(res.active) === reservations - shipped - cancelled && n(res.other) === 0,
    `active ${n(res.active)}/${reservations - shipped - cancelled}, shipped ${n(res.shipped)}/${shipped}, cancelled ${n(res.cancelled)}/${cancelled}, other ${n(res.other)}`);

  // I1, scoped to the line: reserved equals the sum of its ACTIVE lines.
  const { rows: [i1] } = await client.query(
    `SELECT count(*) AS mismatches FROM stock_level s
       LEFT JOIN (SELECT rl.sku, rl.warehouse_id, SUM(rl.reserved) AS active
                    FROM reservation_line rl JOIN reservation r USING (reservation_id)
                   WHERE r.state = 'ACTIVE' AND rl.warehouse_id = $1 GROUP BY rl.sku, rl.warehouse_id) l USING (sku, warehouse_id)
      WHERE s.warehouse_id = $1 AND s.reserved <> COALESCE(l.active, 0)`,
    [warehouseId],
  );
  check("reserved = sum of ACTIVE lines (I1)", n(i1.mismatches) === 0, `${n(i1.mismatches)} stock levels differ`);

  // I4, scoped: replaying the ledger from zero gives the counters, and every entry's "after"
  // figures equal the running sum up to it.
  const { rows: [i4] } = await client.query(
    `SELECT count(*) AS mismatches FROM stock_level s
       LEFT JOIN (SELECT sku, warehouse_id, SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved
                    FROM ledger_entry WHERE warehouse_id = $1 GROUP BY sku, warehouse_id) g USING (sku, warehouse_id)
      WHERE s.warehouse_id = $1 AND (s.on_hand <> COALESCE(g.on_hand, 0) OR s.reserved <> COALESCE(g.reserved, 0))`,
    [warehouseId],
  );
  check("ledger replay = counters (I4)", n(i4.mismatches) === 0, `${n(i4.mismatches)} stock levels differ`);
  const { rows: [chain] } = await client.query(
    `SELECT count(*) AS broken FROM (
       SELECT on_hand_after, reserved_after,
              sum(on_hand_delta) OVER w AS on_hand_run, sum(reserved_delta) OVER w AS reserved_run
         FROM ledger_entry WHERE warehouse_id = $1
       WINDOW w AS (PARTITION BY sku ORDER BY seq)) e
      WHERE on_hand_after <> on_hand_run OR reserved_after <> reserved_run`,
    [warehouseId],
  );
  check("each ledger entry's after = running sum", n(chain.broken) === 0, `${n(chain.broken)} entries differ`);
  const { rows: [entries] } = await client.query(
    `SELECT count(*) FILTER (WHERE kind = 'RESERVE') AS reserve, count(*) FILTER (WHERE kind = 'RELEASE_SHIPPED') AS shipped,
            count(*) FILTER (WHERE kind = 'RELEASE_CANCELLED') AS cancelled, count(*) FILTER (WHERE kind NOT IN ('RESERVE', 'RELEASE_SHIPPED', 'RELEASE_CANCELLED', 'SET_STOCK')) AS other
       FROM ledger_entry WHERE warehouse_id = $1`,
    [warehouseId],
  );
  const { rows: [lineCount] } = await client.query(
    `SELECT count(*) FILTER (WHERE reserved > 0) AS held FROM reservation_line WHERE warehouse_id = $1`,
    [warehouseId],
  );
  check("one RESERVE ledger entry per reserved line", n(entries.reserve) === n(lineCount.held) && n(entries.other) === 0,
    `${n(entries.reserve)} RESERVE entries, ${n(lineCount.held)} lines holding units, ${n(entries.other)} entries of other kinds`);

  return { ok: checks.every((c) => c.ok), checks, resolvedUnknownCalls };
}

/** design.md's I1, I2 and I4 over the whole database (test/support/invariants.ts, same SQL). */
export async function auditDatabase(client: pg.Client): Promise<LineAudit> {
  const checks: AuditCheck[] = [];
  const { rows: i1 } = await client.query(`
    SELECT s.sku FROM stock_level s
      LEFT JOIN (SELECT rl.sku, rl.warehouse_id, SUM(rl.reserved) AS active
                   FROM reservation_line rl JOIN reservation r USING (reservation_id)
                  WHERE r.state = 'ACTIVE' GROUP BY rl.sku, rl.warehouse_id) l USING (sku, warehouse_id)
     WHERE s.reserved <> COALESCE(l.active, 0) LIMIT 10`);
  const some = (rows: { sku: string }[]) => (rows.length ? `: ${rows.map((r) => r.sku).join(", ")}` : "");
  checks.push({ name: "I1 reserved = sum of ACTIVE lines, every stock level", ok: i1.length === 0, detail: `${i1.length} differ${some(i1)}` });
  const { rows: i2 } = await client.query(`SELECT sku FROM stock_level WHERE reserved < 0 OR reserved > on_hand LIMIT 10`);
  checks.push({ name: "I2 0 <= reserved <= on_hand, every stock level", ok: i2.length === 0, detail: `${i2.length} out of bounds${some(i2)}` });
  const { rows: i4 } = await client.query(`
    SELECT s.sku FROM stock_level s
      LEFT JOIN (SELECT sku, warehouse_id, SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved
                   FROM ledger_entry GROUP BY sku, warehouse_id) g USING (sku, warehouse_id)
     WHERE s.on_hand <> COALESCE(g.on_hand, 0) OR s.reserved <> COALESCE(g.reserved, 0) LIMIT 10`);
  checks.push({ name: "I4 ledger replay = counters, every stock level", ok: i4.length === 0, detail: `${i4.length} differ${some(i4)}` });
  return { ok: checks.every((c) => c.ok), checks, resolvedUnknownCalls: 0 };
}
