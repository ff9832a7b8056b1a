// Sales rows from CSV text, every one validated: bad rows are reported with their line numbers,
// all of them, and then no row is returned (an import writes everything or nothing).
//
// Accepted headers (exact names, any column order, no other columns):
//   series_id,period,units              one series per series_id
//   sku,warehouse_id,period,units       one series per (sku, warehouse_id)
// period is a day (YYYY-MM-DD), an ISO week (YYYY-Www) or a month (YYYY-MM), one kind per file;
// units is a non-negative decimal number (digits, optionally a point and more digits). Fields
// may be quoted ("a,b", "" for a quote). Rows may come in any order; a (series, period) may
// appear once. Blank lines are skipped.
import { skuLengthMax, warehouseIdLengthMax } from "../src/limits.js";
import { splitCsvLine } from "./csv.js";
import { seriesIdLengthMax, unitsPerPeriodMax } from "./limits.js";
import { parsePeriod, periodKindOf, type PeriodKind } from "./period.js";
import type { SeriesKey } from "./series.js";

export type CsvFormat = "series_id" | "sku_warehouse";

export interface RowError {
  /** 1-based line number in the text. */
  line: number;
  message: string;
}

export interface SalesRow {
  line: number;
  key: SeriesKey;
  /** Ordinal of the period (see period.ts). */
  period: number;
  units: number;
}

export type RowsResult = { ok: true; kind: PeriodKind; format: CsvFormat; rows: SalesRow[] } | { ok: false; errors: RowError[] };

const formats: Record<CsvFormat, readonly string[]> = {
  series_id: ["series_id", "period", "units"],
  sku_warehouse: ["sku", "warehouse_id", "period", "units"],
};
const unitsPattern = /^\d+(\.\d+)?$/;

export function parseSalesRows(text: string): RowsResult {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? "");
  const format = header === null ? null : formatOf(header);
  if (header === null || format === null) {
    return { ok: false, errors: [{ line: 1, message: `header must be ${describeFormats()}, got "${lines[0] ?? ""}"` }] };
  }
  const column = (name: string) => header.indexOf(name);
  const errors: RowError[] = [];
  const rows: SalesRow[] = [];
  let kind: PeriodKind | null = null;
  let kindLine = 0;
  // The line of each (series, period) seen, to report duplicates.
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] as string;
    const line = i + 1;
    if (raw.trim() === "") continue;
    const fields = splitCsvLine(raw);
    if (fields === null) {
      errors.push({ line, message: "unbalanced quotes" });
      continue;
    }
    if (fields.length !== header.length) {
      errors.push({ line, message: `expected ${header.length} fields, got ${fields.length}` });
      continue;
    }
    const problems: string[] = [];
    const key = keyOf(format, fields, column, problems);
    const label = fields[column("period")] as string;
    const labelKind = periodKindOf(label);
    let period: number | null = null;
    if (labelKind === null) problems.push(`period "${label}" is not YYYY-MM-DD, YYYY-Www or YYYY-MM`);
    else if (kind !== null && labelKind !== kind) problems.push(`period "${label}" is a ${labelKind}, but the file's periods are ${kind}s (line ${kindLine})`);
    else {
      period = parsePeriod(label, labelKind);
      if (period === null) problems.push(`period "${label}" is not a real ${labelKind}`);
      else if (kind === null) {
        kind = labelKind;
        kindLine = line;
      }
    }
    const unitsText = fields[column("units")] as string;
    const units = Number(unitsText);
    if (!unitsPattern.test(unitsText)) problems.push(`units "${unitsText}" is not a non-negative number`);
    else if (units > unitsPerPeriodMax) problems.push(`units ${unitsText} exceed ${unitsPerPeriodMax}`);
    if (problems.length > 0 || key === null || period === null) {
      errors.push({ line, message: problems.join("; ") });
      continue;
    }
    const identity = JSON.stringify([key.id, key.sku, key.warehouseId, period]);
    const first = seen.get(identity);
    if (first !== undefined) {
      errors.push({ line, message: `duplicate period ${label} for ${key.id} (first on line ${first})` });
      continue;
    }
    seen.set(identity, line);
    rows.push({ line, key, period, units });
  }
  if (kind === null && errors.length === 0) errors.push({ line: 2, message: "no data rows" });
  if (errors.length > 0 || kind === null) return { ok: false, errors };
  return { ok: true, kind, format, rows };
}

function formatOf(header: readonly string[]): CsvFormat | null {
  for (const [format, columns] of Object.entries(formats) as [CsvFormat, readonly string[]][]) {
    if (header.length === columns.length && columns.every((c) => header.includes(c))) return format;
  }
  return null;
}

function keyOf(format: CsvFormat, fields: readonly string[], column: (name: string) => number, problems: string[]): SeriesKey | null {
  const before = problems.length;
  if (format === "series_id") {
    const id = fields[column("series_id")] as string;
    if (id === "") problems.push("series_id is empty");
    else if (id.length > seriesIdLengthMax) problems.push(`series_id is longer than ${seriesIdLengthMax} characters`);
    return problems.length > before ? null : { id, sku: null, warehouseId: null };
  }
  const sku = fields[column("sku")] as string;
  const warehouseId = fields[column("warehouse_id")] as string;
  if (sku === "") problems.push("sku is empty");
  else if (sku.length > skuLengthMax) problems.push(`sku is longer than ${skuLengthMax} characters`);
  if (warehouseId === "") problems.push("warehouse_id is empty");
  else if (warehouseId.length > warehouseIdLengthMax) problems.push(`warehouse_id is longer than ${warehouseIdLengthMax} characters`);
  return problems.length > before ? null : { id: `${sku}@${warehouseId}`, sku, warehouseId };
}

function describeFormats(): string {
  return Object.values(formats)
    .map((c) => `"${c.join(",")}"`)
    .join(" or ");
}
