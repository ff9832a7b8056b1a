// What `npm run forecast -- import FILE [--warehouse ID]` writes, decided from the file alone
// (pure): every row checked, every bad row reported with its line number, and either all rows
// or none. Each row sets the units of one (sku, warehouse, day): a week is stored at its Monday,
// a month at its first day. Checks beyond parseSalesCsv's own: units must be whole (sales_history
// counts units), SKUs and warehouse ids must be ones the service accepts, and a series_id file
// needs --warehouse (its series_id becomes the sku), which a sku,warehouse_id file must not get.
import * as fields from "../src/core/fields.js";
import type { SalesRow } from "../src/db/sales-repository.js";
import { splitCsvLine } from "./csv.js";
import { formatPeriod, parsePeriod, periodKindOf, type PeriodKind } from "./period.js";
import { parseSalesCsv, type CsvFormat, type RowError } from "./series.js";

export interface ImportPlan {
  format: CsvFormat;
  kind: PeriodKind;
  series: number;
  rows: SalesRow[];
  /** Every warehouse the rows name, with the line that first names it (0: --warehouse). */
  warehouses: Map<string, number>;
}

export type ImportPlanResult = { ok: true; plan: ImportPlan } | { ok: false; errors: RowError[] };

/** The first day of a period, as a day ordinal (days since 1970-01-01). */
export function firstDayOf(ordinal: number, kind: PeriodKind): number {
  if (kind === "day") return ordinal;
  if (kind === "week") return ordinal * 7 - 3;
  return parsePeriod(`${formatPeriod(ordinal, "month")}-01`, "day") as number;
}

export function planImport(text: string, warehouseOption: string | null): ImportPlanResult {
  const parsed = parseSalesCsv(text);
  const errors = new Map<number, string[]>();
  const report = (line: number, message: string) => errors.set(line, [...(errors.get(line) ?? []), message]);
  if (!parsed.ok) for (const e of parsed.errors) report(e.line, e.message);
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? "");
  const format: CsvFormat | null = header === null ? null
    : header.includes("series_id") ? "series_id" : header.includes("sku") ? "sku_warehouse" : null;
  if (header === null || format === null || (!parsed.ok && parsed.errors.some((e) => e.line === 1))) return { ok: false, errors: sorted(errors) };

  if (format === "series_id" && warehouseOption === null) report(1, "a series_id file needs --warehouse ID: its series_id becomes the sku in that warehouse");
  if (format === "sku_warehouse" && warehouseOption !== null) report(1, "--warehouse applies to series_id files only; this file names a warehouse_id on every row");
  if (warehouseOption !== null) {
    const checked = fields.warehouseId("--warehouse", warehouseOption);
    if ("violation" in checked) report(1, `--warehouse ${JSON.stringify(warehouseOption)} ${checked.violation.description}`);
  }

  const column = (name: string) => header.indexOf(name);
  const rows: SalesRow[] = [];
  const warehouses = new Map<string, number>();
  if (format === "series_id" && warehouseOption !== null) warehouses.set(warehouseOption, 0);
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] as string;
    const line = i + 1;
    if (raw.trim() === "") continue;
    const row = splitCsvLine(raw);
    // parseSalesCsv reports lines it cannot split or that have the wrong width.
    if (row === null || row.length !== header.length) continue;
    const sku = (format === "series_id" ? row[column("series_id")] : row[column("sku")]) as string;
    const warehouseId = format === "series_id" ? (warehouseOption ?? "") : (row[column("warehouse_id")] as string);
    const label = row[column("period")] as string;
    const unitsText = row[column("units")] as string;
    const skuChecked = fields.sku(format === "series_id" ? "series_id" : "sku", sku);
    // Empty or too long: parseSalesCsv says so already.
    if ("violation" in skuChecked && skuChecked.violation.reason === "FIELD_MALFORMED") report(line, `${skuChecked.violation.field} ${JSON.stringify(sku)} is not a SKU: ${skuChecked.violation.description}`);
    if (format === "sku_warehouse" && warehouseId !== "") {
      const checked = fields.warehouseId("warehouse_id", warehouseId);
      if ("violation" in checked) {
        if (checked.violation.reason === "FIELD_MALFORMED") report(line, `warehouse_id ${JSON.stringify(warehouseId)} ${checked.violation.description}`);
      } else if (!warehouses.has(warehouseId)) warehouses.set(warehouseId, line);
    }
    const units = Number(unitsText);
    if (/^\d+(\.\d+)?$/.test(unitsText) && !Number.isInteger(units)) report(line, `units ${unitsText} is not a whole number of units`);
    const kind = periodKindOf(label);
    const period = kind === null ? null : parsePeriod(label, kind);
    if (errors.has(line) || kind === null || period === null) continue;
    rows.push({ sku, warehouseId, day: formatPeriod(firstDayOf(period, kind), "day"), units });
  }
  if (errors.size > 0 || !parsed.ok) return { ok: false, errors: sorted(errors) };
  return { ok: true, plan: { format: parsed.format, kind: parsed.kind, series: parsed.series.length, rows, warehouses } };
}

function sorted(errors: Map<number, string[]>): RowError[] {
  return [...errors].sort(([a], [b]) => a - b).map(([line, messages]) => ({ line, message: messages.join("; ") }));
}
