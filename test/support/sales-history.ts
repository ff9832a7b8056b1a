// Seeded sales history for the forecast tests: the data is made here, not read from ../shared.
import type { TestDatabase } from "./database.js";

export const dayMs = 86_400_000;
export const dayOrdinal = (label: string): number => Date.parse(`${label}T00:00:00Z`) / dayMs;
export const dayLabel = (d: number): string => new Date(d * dayMs).toISOString().slice(0, 10);

/** A seeded generator (mulberry32), so the history and every figure from it are the same each run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Daily sales in [firstDay, endDay) with a yearly swing (peak in late spring, trough in late autumn) and noise. */
export function seasonalHistory(seed: number, dailyMean: number, firstDay: number, endDay: number): { day: number; units: number }[] {
  const next = random(seed);
  const out: { day: number; units: number }[] = [];
  for (let d = firstDay; d < endDay; d++) {
    const month = new Date(d * dayMs).getUTCMonth();
    const mean = dailyMean * (1 + 0.5 * Math.sin((2 * Math.PI * month) / 12));
    out.push({ day: d, units: Math.max(0, Math.round(mean * (0.4 + 1.2 * next()))) });
  }
  return out;
}

export async function insertHistory(db: TestDatabase, sku: string, warehouseId: string, points: { day: number; units: number }[]): Promise<void> {
  await db.query(
    `INSERT INTO sales_history (sku, warehouse_id, day, units)
     SELECT ?, ?, r.day, r.units FROM jsonb_to_recordset(?::jsonb) AS r(day date, units bigint)`,
    [sku, warehouseId, JSON.stringify(points.map((p) => ({ day: dayLabel(p.day), units: p.units })))],
  );
}
