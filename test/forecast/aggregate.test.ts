import { describe, expect, it } from "vitest";
import { aggregateDaily } from "../../forecast/aggregate.js";
import { formatPeriod, parsePeriod } from "../../forecast/period.js";
import type { Series } from "../../forecast/series.js";

const key = { id: "a", sku: null, warehouseId: null };
function days(first: string, values: number[]): Series {
  return { key, kind: "day", start: parsePeriod(first, "day") as number, values };
}

describe("aggregateDaily", () => {
  it("sums whole ISO weeks and drops the partial weeks at both ends", () => {
    // 2024-01-03 is a Wednesday: the first whole week starts Monday 2024-01-08 (W02).
    const values = Array.from({ length: 5 + 14 + 3 }, (_, i) => i + 1);
    const weekly = aggregateDaily(days("2024-01-03", values), "week");
    expect(formatPeriod(weekly.start, "week")).toBe("2024-W02");
    expect(weekly.values).toEqual([6 + 7 + 8 + 9 + 10 + 11 + 12, 13 + 14 + 15 + 16 + 17 + 18 + 19]);
  });

  it("sums whole calendar months", () => {
    const values = new Array(31 + 29 + 31).fill(1); // 2024-01-01 .. 2024-03-31
    const monthly = aggregateDaily(days("2024-01-01", values), "month");
    expect(formatPeriod(monthly.start, "month")).toBe("2024-01");
    expect(monthly.values).toEqual([31, 29, 31]);
    expect(aggregateDaily(days("2024-01-02", values.slice(1)), "month").values).toEqual([29, 31]);
  });
});
