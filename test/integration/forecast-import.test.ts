// `npm run forecast -- import FILE [--warehouse ID]`: every bad row reported with its line
// number and nothing written; weeks and months stored at their first day; one transaction.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImportCommand, type CommandDeps } from "../../forecast/db-commands.js";
import { embeddedRunLock } from "../../forecast/run-lock.js";
import { newWarehouse, unique } from "../support/fixtures.js";
import { useTestServer } from "../support/harness.js";

const { db, server } = useTestServer();
let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "stockhold-import-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function runImport(text: string, ...options: string[]): Promise<{ code: number; stdout: string; stderr: string[] }> {
  const file = join(folder, `${unique("sales")}.csv`);
  await writeFile(file, text);
  let stdout = "";
  let stderr = "";
  const deps: CommandDeps = {
    env: {},
    openDatabase: async () => ({ orm: db.orm, lock: embeddedRunLock, close: async () => undefined }),
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  };
  const code = await runImportCommand([file, ...options], deps);
  return { code, stdout, stderr: stderr.split("\n").filter((l) => l !== "").map((l) => l.replace(`${file}`, "FILE")) };
}

const salesOf = async (sku: string) =>
  (await db.query<{ warehouse_id: string; day: string; units: string }>(`SELECT warehouse_id, day::text AS day, units FROM sales_history WHERE sku = ?`, [sku]))
    .map((r) => `${r.warehouse_id} ${r.day} ${r.units}`).sort();
const rowCount = async () => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM sales_history`))[0]!.n);

describe("forecast import", () => {
  it("stores a monthly sku,warehouse_id file at each month's first day, per warehouse, any column order", async () => {
    const [a, b] = [await newWarehouse(server), await newWarehouse(server)];
    const sku = unique("SKU");
    const run = await runImport([
      "period,units,warehouse_id,sku",
      `2026-01,5,${a},${sku}`,
      `2026-02,0,${a},${sku}`,
      `2026-03,7,${a},${sku}`,
      `"2026-02",3,${b},"${sku}"`,
    ].join("\n"));
    expect(run).toMatchObject({ code: 0, stderr: [] });
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 4, series: 2, period: "month", warehouses: [a, b].sort() });
    expect(await salesOf(sku)).toEqual([`${a} 2026-01-01 5`, `${a} 2026-02-01 0`, `${a} 2026-03-01 7`, `${b} 2026-02-01 3`].sort());
  });

  it("stores an ISO-week series_id file at each week's Monday, in the --warehouse, with the series_id as the sku", async () => {
    const wh = await newWarehouse(server);
    const sku = unique("SERIES");
    // 2026-W01 starts on Monday 2025-12-29.
    const run = await runImport(["series_id,period,units", `${sku},2026-W01,4`, `${sku},2026-W02,6`, `${sku},2026-W10,1`].join("\n"), "--warehouse", wh);
    expect(run.code).toBe(0);
    expect(await salesOf(sku)).toEqual([`${wh} 2025-12-29 4`, `${wh} 2026-01-05 6`, `${wh} 2026-03-02 1`]);
  });

  it("sets each day's units, so importing the same file twice changes nothing", async () => {
    const wh = await newWarehouse(server);
    const sku = unique("SKU");
    const text = ["sku,warehouse_id,period,units", `${sku},${wh},2026-05-04,2`, `${sku},${wh},2026-05-06,9`].join("\n");
    expect((await runImport(text)).code).toBe(0);
    expect((await runImport(text)).code).toBe(0);
    expect(await salesOf(sku)).toEqual([`${wh} 2026-05-04 2`, `${wh} 2026-05-06 9`]);
  });

  it("reports every bad row with its line number and writes nothing", async () => {
    const wh = await newWarehouse(server);
    const sku = unique("SKU");
    const before = await rowCount();
    const run = await runImport([
      "sku,warehouse_id,period,units",
      `${sku},${wh},2026-01-05,3`,
      `${sku},${wh},2026-13-01,3`,
      `${sku},${wh},2026-01-06,-2`,
      `${sku},${wh},2026-01-07,2.5`,
      `bad sku,${wh},2026-01-08,1`,
      `${sku},no/such,2026-01-09,1`,
      `${sku},${wh},2026-01-05,4`,
      `${sku},${wh},2026-01-10`,
      "",
      `${sku},${wh},2026-W02,1`,
    ].join("\n"));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.map((l) => l.split(":").slice(0, 2).join(":"))).toEqual([
      "FILE:3", "FILE:4", "FILE:5", "FILE:6", "FILE:7", "FILE:8", "FILE:9", "FILE:11", "8 error(s); nothing was imported",
    ]);
    expect(run.stderr[0]).toMatch(/period "2026-13-01" is not a real day/);
    expect(run.stderr[2]).toMatch(/units 2.5 is not a whole number/);
    expect(run.stderr[3]).toMatch(/sku "bad sku" is not a SKU/);
    expect(run.stderr[4]).toMatch(/warehouse_id "no\/such" must contain only/);
    expect(run.stderr[5]).toMatch(/duplicate period 2026-01-05 .*first on line 2/);
    expect(run.stderr[7]).toMatch(/is a week, but the file's periods are days/);
    expect(await rowCount()).toBe(before);
  });

  it("names every warehouse that does not exist and writes nothing, not even the rows of known warehouses", async () => {
    const wh = await newWarehouse(server);
    const sku = unique("SKU");
    const missing = unique("nowhere");
    const run = await runImport(["sku,warehouse_id,period,units", `${sku},${wh},2026-01,1`, `${sku},${missing},2026-01,1`, `${sku},${missing},2026-02,1`].join("\n"));
    expect(run.code).toBe(1);
    expect(run.stderr[0]).toBe(`FILE:3: warehouse "${missing}" does not exist: create it with CreateWarehouse first`);
    expect(await salesOf(sku)).toEqual([]);
    const viaOption = await runImport(["series_id,period,units", `${sku},2026-01,1`].join("\n"), "--warehouse", missing);
    expect(viaOption.stderr[0]).toBe(`FILE: warehouse "${missing}" (--warehouse) does not exist: create it with CreateWarehouse first`);
  });

  it("needs --warehouse for a series_id file, and refuses it for a sku,warehouse_id file", async () => {
    const wh = await newWarehouse(server);
    const seriesFile = await runImport(["series_id,period,units", "s-1,2026-01,1"].join("\n"));
    expect([seriesFile.code, seriesFile.stderr[0]]).toEqual([1, "FILE:1: a series_id file needs --warehouse ID: its series_id becomes the sku in that warehouse"]);
    const skuFile = await runImport(["sku,warehouse_id,period,units", `s-1,${wh},2026-01,1`].join("\n"), "--warehouse", wh);
    expect(skuFile.stderr[0]).toMatch(/^FILE:1: --warehouse applies to series_id files only/);
    const header = await runImport(["sku,period,units", "s-1,2026-01,1"].join("\n"));
    expect(header.stderr[0]).toMatch(/^FILE:1: header must be/);
  });

  it("usage errors exit 2 without touching the database", async () => {
    let stderr = "";
    const code = await runImportCommand(["a.csv", "b.csv"], { env: {}, stderr: (t) => (stderr += t), openDatabase: () => Promise.reject(new Error("no")) });
    expect([code, stderr.split("\n")[0]]).toEqual([2, "import needs exactly one FILE, got 2"]);
    const noDatabase = await runImportCommand([join(folder, "missing.csv")], { env: {}, stderr: () => undefined });
    expect(noDatabase).toBe(1);
  });
});
