// Periods of a sales series as consecutive integers, so gaps, arithmetic and seasons are exact.
// A day is counted from 1970-01-01, an ISO week from the week of 1970-01-01 (weeks start on
// Monday; week 1 holds the year's first Thursday), a month as year * 12 + month - 1.
import { wholePeriodTolerance } from "./limits.js";

export type PeriodKind = "day" | "week" | "month";

const dayMs = 86_400_000;
const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const weekPattern = /^(\d{4})-W(\d{2})$/;
const monthPattern = /^(\d{4})-(\d{2})$/;

/** The periods in one seasonal cycle: a week of days, a year of weeks or months. */
export function cycleLength(kind: PeriodKind): number {
  return kind === "day" ? 7 : kind === "week" ? 52 : 12;
}

/** The kind a label is written in, or null when it is none of them. */
export function periodKindOf(label: string): PeriodKind | null {
  if (dayPattern.test(label)) return "day";
  if (weekPattern.test(label)) return "week";
  if (monthPattern.test(label)) return "month";
  return null;
}

/** The ordinal of a label of the given kind, or null when it is not a real day/week/month. */
export function parsePeriod(label: string, kind: PeriodKind): number | null {
  if (kind === "day") {
    const m = dayPattern.exec(label);
    if (!m) return null;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const ms = Date.UTC(y, mo - 1, d);
    const date = new Date(ms);
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
    return ms / dayMs;
  }
  if (kind === "week") {
    const m = weekPattern.exec(label);
    if (!m) return null;
    const [y, w] = [Number(m[1]), Number(m[2])];
    if (w < 1 || w > isoWeeksInYear(y)) return null;
    return (isoWeekOneMonday(y) + 7 * (w - 1) + 3) / 7;
  }
  const m = monthPattern.exec(label);
  if (!m) return null;
  const [y, mo] = [Number(m[1]), Number(m[2])];
  if (mo < 1 || mo > 12) return null;
  return y * 12 + mo - 1;
}

/** The label of an ordinal, the inverse of parsePeriod. */
export function formatPeriod(ordinal: number, kind: PeriodKind): string {
  if (kind === "day") return new Date(ordinal * dayMs).toISOString().slice(0, 10);
  if (kind === "week") {
    // The week's Thursday (day ordinal * 7) decides its ISO year.
    const isoYear = new Date(ordinal * 7 * dayMs).getUTCFullYear();
    const week = (ordinal * 7 - 3 - isoWeekOneMonday(isoYear)) / 7 + 1;
    return `${isoYear}-W${String(week).padStart(2, "0")}`;
  }
  return `${Math.floor(ordinal / 12)}-${String((ordinal % 12) + 1).padStart(2, "0")}`;
}

/** Calendar quarter (0-3) of a period: of its date, of its week's Thursday, or of its month. */
export function quarterOf(ordinal: number, kind: PeriodKind): number {
  if (kind === "month") return Math.floor((((ordinal % 12) + 12) % 12) / 3);
  const day = kind === "day" ? ordinal : ordinal * 7;
  return Math.floor(new Date(day * dayMs).getUTCMonth() / 3);
}

/** Average length of one period in milliseconds (a month as 1/12 of a Gregorian year). */
export function periodMs(kind: PeriodKind): number {
  return kind === "day" ? dayMs : kind === "week" ? 7 * dayMs : (365.2425 / 12) * dayMs;
}

/** The Monday of ISO week 1, in days since 1970-01-01. */
function isoWeekOneMonday(year: number): number {
  const jan4 = Date.UTC(year, 0, 4) / dayMs;
  const weekday = (((jan4 + 3) % 7) + 7) % 7; // 0 = Monday
  return jan4 - weekday;
}

function isoWeeksInYear(year: number): number {
  return (isoWeekOneMonday(year + 1) - isoWeekOneMonday(year)) / 7;
}

/** Whole periods needed to cover a duration (a lead time in milliseconds), at least 0. */
export function periodsCovering(durationMs: number, kind: PeriodKind): number {
  if (!(durationMs > 0)) return 0;
  // The tolerance keeps exactly 7 days from becoming 2 weeks through rounding.
  return Math.ceil(durationMs / periodMs(kind) - wholePeriodTolerance);
}
