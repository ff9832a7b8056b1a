// What an import writes, decided from the file alone.
import { describe, expect, it } from "vitest";
import { firstDayOf, planImport } from "../../forecast/import-plan.js";
import { formatPeriod, parsePeriod, type PeriodKind } from "../../forecast/period.js";

describe("the first day of a period", () => {
  it.each<[PeriodKind, string, string]>([
    ["day", "2026-02-28", "2026-02-28"],
    ["week", "2026-W01", "2025-12-29"],
    ["week", "2020-W53", "2020-12-28"],
    ["week", "2027-W01", "2027-01-04"],
    ["month", "2024-02", "2024-02-01"],
    ["month", "2026-12", "2026-12-01"],
  ])("%s %s starts on %s", (kind, label, first) => {
    expect(formatPeriod(firstDayOf(parsePeriod(label, kind)!, kind), "day")).toBe(first);
  });
});

describe("planImport", () => {
  it("turns every row into one (sku, warehouse, day) with its units, zeros included", () => {
    const planned = planImport("series_id,period,units\nA,2026-01,3\nA,2026-03,0\nB,2026-02,1.0\n", "ams-1");
    expect(planned).toEqual({
      ok: true,
      plan: {
        format: "series_id", kind: "month", series: 2, warehouses: new Map([["ams-1", 0]]),
        rows: [
          { sku: "A", warehouseId: "ams-1", day: "2026-01-01", units: 3 },
          { sku: "A", warehouseId: "ams-1", day: "2026-03-01", units: 0 },
          { sku: "B", warehouseId: "ams-1", day: "2026-02-01", units: 1 },
        ],
      },
    });
  });

  it("names each warehouse with the first line it appears on", () => {
    const planned = planImport("sku,warehouse_id,period,units\nA,w1,2026-01-05,1\nA,w2,2026-01-05,1\nB,w1,2026-01-05,1\n", null);
    expect(planned.ok && [...planned.plan.warehouses]).toEqual([["w1", 2], ["w2", 3]]);
  });

  it.each([
    ["series_id,period,units\nA,2026-01,1\n", "bad id!", [{ line: 1, message: `--warehouse "bad id!" must contain only A-Z, a-z, 0-9, '.', '_' and '-'` }]],
    ["series_id,period,units\nA B,2026-01,1\nC,2026-01,1.5\n", "w", [
      { line: 2, message: `series_id "A B" is not a SKU: must be printable ASCII without spaces` },
      { line: 3, message: "units 1.5 is not a whole number of units" },
    ]],
    ["series_id,period,units\n", "w", [{ line: 2, message: "no data rows" }]],
  ])("reports %j with --warehouse %j", (text, warehouse, errors) => {
    expect(planImport(text, warehouse)).toEqual({ ok: false, errors });
  });
});
