// What the batch write costs PostgreSQL by itself: the service's own statement
// (batchWriteStatement), prepared once, run one at a time on one connection of a scratch
// database with nothing else running. It tells the database's share of a reservation apart from
// gRPC, the server's JavaScript and the load generator, which share these cores in `npm run bench`.
// For each shape (reservations per statement, SKUs they spread over) it prints the median time of
// a statement, round trip and commit included, and that time divided by its reservations; then,
// from EXPLAIN ANALYZE, where the time of one statement of 100 reservations on one SKU goes, table
// by table.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { newReservationId } from "../src/app/reservation-ids.js";
import { batchWriteStatement, type BatchWrite, type LevelChange } from "../src/db/batch-reserve-repository.js";
import { migrate, openOrm } from "../src/db/orm.js";
import { createDatabase } from "./database.js";
import { median } from "./report.js";

const usage = `npm run bench:write-cost -- [--rounds N] [--random-ids]

  --rounds N     statements per shape (default 200; the first tenth warm up and are not counted)
  --random-ids   reservation ids from randomUUID (v4) instead of the service's time-ordered ones
                 (src/app/reservation-ids.ts), to compare

Needs PostgreSQL: DATABASE_URL, or postgresql://postgres@127.0.0.1:5432/postgres. Creates the
database stockhold_write_cost_<pid> and drops it at the end.`;

/** Statements per shape, at most: a bound on the run. */
const roundsMax = 5_000;
/** The shapes measured: reservations in one statement, and the SKUs (one stock level each) they spread over. */
const shapes = [
  { reservations: 1, skus: 1 },
  { reservations: 10, skus: 1 },
  { reservations: 100, skus: 1 },
  { reservations: 400, skus: 1 },
  { reservations: 10, skus: 10 },
  { reservations: 100, skus: 100 },
];
const explainedShape = { reservations: 100, skus: 1 };
const warehouseId = "WRITE-COST";
const unitsPerSku = 1_000_000_000;

interface CostOptions { rounds: number; newId: () => string; idsLabel: string }

function parseOptions(argv: string[]): CostOptions | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const known = new Set(["--rounds", "--random-ids"]);
  const unknown = argv.find((a, i) => a.startsWith("-") && !known.has(a) && argv[i - 1] !== "--rounds");
  if (unknown) throw new Error(`unknown option ${unknown}`);
  const at = argv.indexOf("--rounds");
  const rounds = at === -1 ? 200 : Number(argv[at + 1]);
  if (!Number.isInteger(rounds) || rounds < 10 || rounds > roundsMax) throw new Error(`--rounds must be an integer from 10 to ${roundsMax}`);
  const random = argv.includes("--random-ids");
  return { rounds, newId: random ? randomUUID : newReservationId, idsLabel: random ? "random (v4)" : "time-ordered (v7)" };
}

const skuName = (shape: { reservations: number; skus: number }, k: number) => `WC-${shape.reservations}-${shape.skus}-${k}`;

/** One batch as the engine writes it: single-line reservations of 1 unit, answers of a typical size. */
function batchOf(shape: { reservations: number; skus: number }, newId: () => string): BatchWrite {
  const time = new Date();
  const levels = new Map<string, LevelChange>();
  const write: BatchWrite = {
    answers: [], reservations: [], levels: [], time, ledgerRequestId: `batch:${randomUUID()}`,
    unchangedLevels: [], seenLevelCount: null, noExpiredHoldsAt: null,
  };
  for (let i = 0; i < shape.reservations; i++) {
    const reservationId = newId();
    const requestId = `wc-${reservationId}`;
    const sku = skuName(shape, i % shape.skus);
    write.answers.push({ requestId, method: "Reserve", requestHash: "0".repeat(64), response: Buffer.alloc(160, 1) });
    write.reservations.push({
      reservation: {
        reservationId, requestId, orderId: `order-${i}`, customerId: "customer", channel: "web", priority: "STANDARD",
        state: "ACTIVE", releaseReason: null, waitForStock: false, expireTime: null, createTime: time, updateTime: time,
      },
      lines: [{ lineIndex: 0, sku, warehouseId, requested: 1, reserved: 1, waiting: 0, expectedTime: null }],
    });
    const level = levels.get(sku) ?? { key: { sku, warehouseId }, parts: [], vip: 0, standard: 0, expectedVersion: null };
    level.parts.push({ kind: "RESERVE", reservationId, onHandDelta: 0, reservedDelta: 1, payload: { order_id: `order-${i}`, line_index: 0 } });
    level.standard += 1;
    levels.set(sku, level);
  }
  write.levels = [...levels.values()].sort((a, b) => (a.key.sku < b.key.sku ? -1 : a.key.sku > b.key.sku ? 1 : 0));
  return write;
}

/** `?` placeholders to `$n`, as the service's sessions send them. */
function positioned(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

async function seed(client: pg.Client): Promise<void> {
  await client.query(`INSERT INTO warehouse (warehouse_id, create_time) VALUES ($1, now())`, [warehouseId]);
  const skus = shapes.flatMap((shape) => Array.from({ length: shape.skus }, (_, k) => skuName(shape, k)));
  await client.query(
    `INSERT INTO stock_level (sku, warehouse_id, on_hand, update_time) SELECT s, $2, $3, now() FROM unnest($1::text[]) s`,
    [skus, warehouseId, unitsPerSku],
  );
}

interface PlanNode {
  "Node Type": string;
  Operation?: string;
  "Relation Name"?: string;
  "Actual Total Time": number;
  Plans?: PlanNode[];
}

/** Time spent in each insert or update node itself (its inputs subtracted), by table; timing noise can make it slightly negative. */
function modifyTimes(node: PlanNode, into: Map<string, number>): void {
  if (node["Node Type"] === "ModifyTable") {
    const inputs = (node.Plans ?? []).reduce((s, p) => s + p["Actual Total Time"], 0);
    const key = `${node.Operation!.toLowerCase()} ${node["Relation Name"]}`;
    into.set(key, (into.get(key) ?? 0) + Math.max(0, node["Actual Total Time"] - inputs));
  }
  for (const child of node.Plans ?? []) modifyTimes(child, into);
}

async function main(): Promise<void> {
  let options: CostOptions | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (options === "help") {
    console.log(usage);
    return;
  }
  const { rounds, newId, idsLabel } = options;
  const adminUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const db = await createDatabase(adminUrl, `stockhold_write_cost_${process.pid}`);
  const stop = () => void db.drop().finally(() => process.exit(130));
  process.once("SIGINT", stop);
  try {
    const orm = await openOrm({ url: db.url, poolSize: 1 });
    await migrate(orm);
    await orm.close(true);
    await seed(db.client);
    const { rows: [info] } = await db.client.query<{ version: string; sync: string }>(`SELECT version() AS version, current_setting('synchronous_commit') AS sync`);
    console.log(`Batch write cost · ${info!.version.split(",")[0]}, synchronous_commit ${info!.sync} · one connection, one statement at a time, ${rounds} statements per shape, ${idsLabel} reservation ids`);
    console.log("");
    console.log("reservations  SKUs  median ms  µs per reservation");
    console.log("------------  ----  ---------  ------------------");
    const warm = Math.ceil(rounds / 10);
    for (const shape of shapes) {
      const text = positioned(batchWriteStatement(batchOf(shape, newId)).sql);
      const name = `write_cost_${shape.reservations}_${shape.skus}`;
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const { params } = batchWriteStatement(batchOf(shape, newId));
        const started = performance.now();
        await db.client.query({ name, text, values: params });
        if (i >= warm) times.push(performance.now() - started);
      }
      const ms = median(times);
      console.log(`${String(shape.reservations).padStart(12)}  ${String(shape.skus).padStart(4)}  ${ms.toFixed(3).padStart(9)}  ${(1000 * ms / shape.reservations).toFixed(1).padStart(18)}`);
    }

    const { sql, params } = batchWriteStatement(batchOf(explainedShape, newId));
    const { rows } = await db.client.query<{ "QUERY PLAN": [{ Plan: PlanNode; Triggers: { "Trigger Name": string; "Constraint Name"?: string; Time: number; Calls: number }[]; "Execution Time": number; "Planning Time": number }] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${positioned(sql)}`, params,
    );
    const explained = rows[0]!["QUERY PLAN"][0];
    const byTable = new Map<string, number>();
    modifyTimes(explained.Plan, byTable);
    console.log("");
    console.log(`One statement of ${explainedShape.reservations} reservations on one SKU, EXPLAIN ANALYZE (timing adds overhead; compare the parts):`);
    console.log(`  execution ${explained["Execution Time"].toFixed(2)} ms, planning ${explained["Planning Time"].toFixed(2)} ms`);
    console.log("  each insert or update by itself (its rows, their index entries, its BEFORE ROW triggers):");
    for (const [table, ms] of [...byTable].sort((a, b) => b[1] - a[1])) console.log(`    ${table.padEnd(52)} ${ms.toFixed(2).padStart(6)} ms`);
    console.log("  each trigger (foreign key checks run after the statement's nodes):");
    for (const t of explained.Triggers) {
      const name = t["Constraint Name"] ? `foreign key ${t["Constraint Name"]}` : t["Trigger Name"];
      console.log(`    ${name.padEnd(52)} ${t.Time.toFixed(2).padStart(6)} ms  (${t.Calls} calls)`);
    }
  } finally {
    await db.drop();
  }
}

await main();
