// Sales series: consecutive periods of one (sku, warehouse) or series_id, oldest first, with
// the periods nobody sold in as 0 (files and sales_history leave them out). From a CSV file
// (formats in sales-rows.ts) each series runs from its first row to the last period of the
// whole file, so months without sales at the end count as the zeros they are.
import { seriesPeriodsMax } from "./limits.js";
import { formatPeriod, type PeriodKind } from "./period.js";
import { parseSalesRows, type CsvFormat, type RowError } from "./sales-rows.js";

export type { CsvFormat, RowError } from "./sales-rows.js";

export interface SeriesKey {
  /** series_id, or "sku@warehouse_id" for the sku variant. */
  id: string;
  sku: string | null;
  warehouseId: string | null;
}

/** Consecutive periods of sales; values[k] is the sales of period start + k. */
export interface Series {
  key: SeriesKey;
  kind: PeriodKind;
  /** Ordinal of the first period (see period.ts). */
  start: number;
  values: number[];
}

export type ParseResult = { ok: true; kind: PeriodKind; format: CsvFormat; series: Series[] } | { ok: false; errors: RowError[] };

/** Parses a whole sales file into series; any bad row fails the whole file. */
export function parseSalesCsv(text: string): ParseResult {
  const parsed = parseSalesRows(text);
  if (!parsed.ok) return parsed;
  const { kind, format, rows } = parsed;
  const lastPeriod = rows.reduce((last, r) => Math.max(last, r.period), -Infinity);
  const groups = new Map<string, { key: SeriesKey; line: number; start: number; rows: typeof rows }>();
  for (const row of rows) {
    const identity = JSON.stringify([row.key.id, row.key.sku, row.key.warehouseId]);
    const group = groups.get(identity);
    if (group) {
      group.rows.push(row);
      group.start = Math.min(group.start, row.period);
    } else groups.set(identity, { key: row.key, line: row.line, start: row.period, rows: [row] });
  }
  const errors: RowError[] = [];
  const series: Series[] = [];
  for (const g of groups.values()) {
    const length = lastPeriod - g.start + 1;
    if (length > seriesPeriodsMax) {
      errors.push({ line: g.line, message: `${g.key.id} spans ${length} periods from ${formatPeriod(g.start, kind)}, more than ${seriesPeriodsMax}` });
      continue;
    }
    series.push(seriesFromPoints(g.key, kind, g.rows, g.start, lastPeriod));
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, kind, format, series };
}

/** A series from sparse (period ordinal, units) points, summed per period, 0 elsewhere from start to end inclusive. */
export function seriesFromPoints(key: SeriesKey, kind: PeriodKind, points: readonly { period: number; units: number }[], start: number, end: number): Series {
  const values = new Array<number>(Math.max(0, end - start + 1)).fill(0);
  for (const p of points) if (p.period >= start && p.period <= end) values[p.period - start] = (values[p.period - start] as number) + p.units;
  return { key, kind, start, values };
}
