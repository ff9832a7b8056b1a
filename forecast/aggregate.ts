// Daily sales (sales_history keeps one row per day) summed into weeks or months, the periods
// the worker forecasts in. Only whole periods are kept: a partial first or last week/month
// would look like a drop in demand.
import { parsePeriod, formatPeriod, type PeriodKind } from "./period.js";
import type { Series } from "./series.js";

/** Sums a daily series into ISO weeks or calendar months, dropping partial periods at the ends. */
export function aggregateDaily(daily: Series, to: "week" | "month"): Series {
  if (daily.kind !== "day") throw new Error(`aggregateDaily needs a daily series, got ${daily.kind}s`);
  const bucketOf = (day: number) => periodOfDay(day, to);
  const first = daily.start;
  const last = daily.start + daily.values.length - 1;
  // Whole buckets only: the first bucket must start on or after the first day, the last end on or before the last.
  let startBucket = bucketOf(first);
  if (firstDayOf(startBucket, to) < first) startBucket++;
  let endBucket = bucketOf(last);
  if (firstDayOf(endBucket + 1, to) - 1 > last) endBucket--;
  const values: number[] = [];
  for (let b = startBucket; b <= endBucket; b++) {
    let sum = 0;
    for (let d = firstDayOf(b, to); d < firstDayOf(b + 1, to); d++) sum += daily.values[d - first] as number;
    values.push(sum);
  }
  return { key: daily.key, kind: to, start: startBucket, values };
}

function periodOfDay(day: number, kind: PeriodKind): number {
  if (kind === "week") return Math.floor((day + 3) / 7);
  const label = formatPeriod(day, "day");
  return parsePeriod(label.slice(0, 7), "month") as number;
}

function firstDayOf(bucket: number, kind: PeriodKind): number {
  if (kind === "week") return bucket * 7 - 3;
  return parsePeriod(`${formatPeriod(bucket, "month")}-01`, "day") as number;
}
