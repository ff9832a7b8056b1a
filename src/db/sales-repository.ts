// Sales history: units sold per (sku, warehouse, day), the forecast worker's input. Fed in the
// transaction of each sale (a shipped reservation, an external sale), or imported in bulk.
import type { Em } from "./orm.js";

export interface SalesRow {
  sku: string;
  warehouseId: string;
  /** UTC calendar day, YYYY-MM-DD. */
  day: string;
  units: number;
}

/** The UTC calendar day of a time, as sales_history keys it. */
export const salesDay = (time: Date): string => time.toISOString().slice(0, 10);

/** Adds units to the days' sales, in key order (rows on the same key add up). */
export async function addSales(em: Em, rows: SalesRow[]): Promise<void> {
  const sold = rows.filter((r) => r.units > 0);
  if (sold.length === 0) return;
  await em.execute(
    `INSERT INTO sales_history (sku, warehouse_id, day, units)
     SELECT r.sku, r.warehouse_id, r.day, sum(r.units) FROM jsonb_to_recordset(?::jsonb) AS r(sku text, warehouse_id text, day date, units bigint)
      GROUP BY r.sku, r.warehouse_id, r.day ORDER BY r.sku, r.warehouse_id, r.day
     ON CONFLICT (sku, warehouse_id, day) DO UPDATE SET units = sales_history.units + excluded.units`,
    [JSON.stringify(sold.map((r) => ({ sku: r.sku, warehouse_id: r.warehouseId, day: r.day, units: r.units })))],
  );
}

/**
 * Sets the units of the given days (a bulk import: the file is the record of those days, so
 * importing it twice changes nothing). Rows on one key must not repeat.
 */
export async function replaceSales(em: Em, rows: SalesRow[]): Promise<void> {
  if (rows.length === 0) return;
  await em.execute(
    `INSERT INTO sales_history (sku, warehouse_id, day, units)
     SELECT r.sku, r.warehouse_id, r.day, r.units FROM jsonb_to_recordset(?::jsonb) AS r(sku text, warehouse_id text, day date, units bigint)
      ORDER BY r.sku, r.warehouse_id, r.day
     ON CONFLICT (sku, warehouse_id, day) DO UPDATE SET units = excluded.units`,
    [JSON.stringify(rows.map((r) => ({ sku: r.sku, warehouse_id: r.warehouseId, day: r.day, units: r.units })))],
  );
}

/** Daily sales of one stock level in [fromDay, toDay), as day ordinals (days since 1970-01-01). */
export async function readDailySales(em: Em, sku: string, warehouseId: string, fromDay: string, toDay: string): Promise<{ day: number; units: number }[]> {
  const rows = await em.execute<{ day: number; units: string }[]>(
    `SELECT (day - DATE '1970-01-01') AS day, units FROM sales_history
      WHERE sku = ? AND warehouse_id = ? AND day >= ?::date AND day < ?::date ORDER BY day`,
    [sku, warehouseId, fromDay, toDay],
  );
  return rows.map((r) => ({ day: Number(r.day), units: Number(r.units) }));
}

/** Units sold per SKU (over every warehouse) in [fromDay, toDay): the input of ABC classes. */
export async function readSkuVolumes(em: Em, fromDay: string, toDay: string): Promise<{ sku: string; units: number }[]> {
  const rows = await em.execute<{ sku: string; units: string }[]>(
    `SELECT sku, sum(units) AS units FROM sales_history WHERE day >= ?::date AND day < ?::date GROUP BY sku`,
    [fromDay, toDay],
  );
  return rows.map((r) => ({ sku: r.sku, units: Number(r.units) }));
}
