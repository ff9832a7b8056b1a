import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitCsvLine } from "../../forecast/csv.js";
import { formatPeriod, parsePeriod } from "../../forecast/period.js";
import { parseSalesRows } from "../../forecast/sales-rows.js";
import { parseSalesCsv, seriesFromPoints } from "../../forecast/series.js";

const csv = (...lines: string[]) => lines.join("\n") + "\n";

describe("CSV fields", () => {
  const cases: [string, string[] | null][] = [
    ["a,b,c", ["a", "b", "c"]],
    [' "a" , b ,"c"', ["a", "b", "c"]],
    ['"x,y","say ""hi""",3', ["x,y", 'say "hi"', "3"]],
    ["a,,", ["a", "", ""]],
    ['"open,1', null],
    ['"a"b,1', null],
  ];
  for (const [line, fields] of cases) it(`splits ${JSON.stringify(line)}`, () => expect(splitCsvLine(line)).toEqual(fields));
});

describe("parseSalesCsv", () => {
  it("reads series_id,period,units monthly files, filling missing months with 0 up to the file's last month", () => {
    const result = parseSalesCsv(csv("series_id,period,units", "a,2001-01,3", "a,2001-03,1", "b,2001-02,2", "b,2001-04,5"));
    expect(result).toEqual({
      ok: true,
      kind: "month",
      format: "series_id",
      series: [
        { key: { id: "a", sku: null, warehouseId: null }, kind: "month", start: parsePeriod("2001-01", "month"), values: [3, 0, 1, 0] },
        { key: { id: "b", sku: null, warehouseId: null }, kind: "month", start: parsePeriod("2001-02", "month"), values: [2, 0, 5] },
      ],
    });
  });

  it("reads the sku,warehouse_id variant in any column order, with weeks, CRLF, a BOM and quotes", () => {
    const text = "\uFEFFperiod,units,warehouse_id,sku\r\n2020-W52,4,w1,\"SKU,1\"\r\n2020-W53,0.5,w1,\"SKU,1\"\r\n2021-W01,2,w2,SKU-2\r\n";
    const result = parseSalesCsv(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.format).toBe("sku_warehouse");
    expect(result.kind).toBe("week");
    expect(result.series.map((s) => [s.key, s.values])).toEqual([
      [{ id: "SKU,1@w1", sku: "SKU,1", warehouseId: "w1" }, [4, 0.5, 0]],
      [{ id: "SKU-2@w2", sku: "SKU-2", warehouseId: "w2" }, [2]],
    ]);
  });

  it("sorts rows of a series by period and reads days", () => {
    const result = parseSalesCsv(csv("series_id,period,units", "a,2024-03-02,2", "a,2024-02-28,1"));
    expect(result.ok && result.series[0]?.values).toEqual([1, 0, 0, 2]); // 2024 is a leap year
  });

  it("reports every bad row with its line number and returns no series", () => {
    const result = parseSalesCsv(
      csv(
        "series_id,period,units",
        "a,2001-01,3",
        "a,2001-13,1", // 3: no such month
        ",2001-02,1", // 4: empty id
        "a,2001-02,-1", // 5: negative
        "a,2001-02", // 6: short row
        "b,2001-02-01,1", // 7: a day in a month file
        "a,2001-01,4", // 8: duplicate
        "c,2001-03,1e3", // 9: not plain decimal
        "",
        "d,\"2001-03,1", // 11: open quote
      ),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 11]);
    expect(result.errors[0]?.message).toMatch(/not a real month/);
    expect(result.errors[4]?.message).toMatch(/is a day, but the file's periods are months \(line 2\)/);
    expect(result.errors[5]?.message).toMatch(/duplicate period 2001-01 for a \(first on line 2\)/);
  });

  it("rejects an unknown header and an empty file", () => {
    expect(parseSalesCsv("id,period,units\nx,2001-01,1\n")).toMatchObject({ ok: false, errors: [{ line: 1 }] });
    expect(parseSalesCsv("series_id,period,units\n")).toMatchObject({ ok: false, errors: [{ line: 2, message: "no data rows" }] });
  });

  it("round-trips any set of sparse monthly series through CSV", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 5 }), (seriesValues) => {
        const start = parsePeriod("2010-01", "month") as number;
        const longest = Math.max(...seriesValues.map((v) => v.length));
        const lines = ["series_id,period,units"];
        seriesValues.forEach((values, i) => values.forEach((v, k) => v > 0 && lines.push(`s${i},${formatPeriod(start + k, "month")},${v}`)));
        // Every series gets a row in its first month, and one series reaches the longest month.
        seriesValues.forEach((values, i) => values[0] === 0 && lines.push(`s${i},${formatPeriod(start, "month")},0`));
        const last = seriesValues.findIndex((v) => v.length === longest);
        if ((seriesValues[last] as number[])[longest - 1] === 0) lines.push(`s${last},${formatPeriod(start + longest - 1, "month")},0`);
        const result = parseSalesCsv(lines.join("\n"));
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        const byId = new Map(result.series.map((s) => [s.key.id, s.values]));
        seriesValues.forEach((values, i) => expect(byId.get(`s${i}`)).toEqual([...values, ...new Array(longest - values.length).fill(0)]));
      }),
      { seed: 9, numRuns: 100 },
    );
  });
});

describe("parseSalesRows (for an import that writes all rows or none)", () => {
  it("returns each valid row with its line, key and period", () => {
    const result = parseSalesRows(csv("sku,warehouse_id,period,units", "A,w1,2024-05-01,2", "", "A,w2,2024-05-01,0.5"));
    expect(result).toEqual({
      ok: true,
      kind: "day",
      format: "sku_warehouse",
      rows: [
        { line: 2, key: { id: "A@w1", sku: "A", warehouseId: "w1" }, period: parsePeriod("2024-05-01", "day"), units: 2 },
        { line: 4, key: { id: "A@w2", sku: "A", warehouseId: "w2" }, period: parsePeriod("2024-05-01", "day"), units: 0.5 },
      ],
    });
  });

  it("returns no rows at all when one is bad", () => {
    expect(parseSalesRows(csv("sku,warehouse_id,period,units", "A,w1,2024-05-01,2", "A,,2024-05-02,1"))).toEqual({ ok: false, errors: [{ line: 3, message: "warehouse_id is empty" }] });
  });
});

describe("seriesFromPoints", () => {
  it("sums points of the same period and fills the rest of the span with 0", () => {
    const key = { id: "k", sku: "k", warehouseId: "w" };
    expect(seriesFromPoints(key, "day", [{ period: 12, units: 2 }, { period: 10, units: 1 }, { period: 12, units: 3 }, { period: 99, units: 7 }], 10, 13).values).toEqual([1, 0, 5, 0]);
  });
});
