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
