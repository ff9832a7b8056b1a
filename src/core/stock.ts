// Stock arithmetic shared by every decision: one definition of "available" per priority.
import type { PriorityName } from "./commands.js";

/** The counters and protection of one (sku, warehouse) as loaded from the database. */
export interface StockCounters {
  sku: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
  safetyBuffer: number;
  minStock: number;
}

type Counters = Pick<StockCounters, "onHand" | "reserved" | "safetyBuffer" | "minStock">;

/** Units standard orders may not take: the larger of the safety buffer and min_stock. */
export function heldBack(s: Pick<StockCounters, "safetyBuffer" | "minStock">): number {
  return Math.max(s.safetyBuffer, s.minStock);
}

/**
 * Units an order of the given priority may still reserve; never negative. Standard orders stop
 * at the held-back units; VIP orders may take them, down to zero.
 */
export function availableFor(s: Counters, priority: PriorityName): number {
  const floor = priority === "VIP" ? 0 : heldBack(s);
  return Math.max(0, s.onHand - s.reserved - floor);
}

/** The standard view of availability. */
export function availableUnits(s: Counters): number {
  return availableFor(s, "STANDARD");
}

export interface AvailabilityFigures {
  sku: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
  safetyBuffer: number;
  available: number;
  vipAvailable: number;
  minStock: number;
  waiting: number;
}

/** A stock level as availability sees it: expired holds no longer count as reserved. */
export interface LevelView extends StockCounters {
  /** Units of expired holds the sweeper has not released yet. */
  expiredReserved: number;
  /** Units waiting orders still need here. */
  waiting: number;
}

/**
 * Availability of one SKU over the given stock levels: one warehouse's figures, or the sum over
 * all warehouses (warehouseId ""). Each warehouse's available is floored at 0 before summing,
 * because units held back in one warehouse cannot be sold from another.
 */
export function summarizeAvailability(sku: string, warehouseId: string | null, levels: LevelView[]): AvailabilityFigures {
  const sum = { sku, warehouseId: warehouseId ?? "", onHand: 0, reserved: 0, safetyBuffer: 0, available: 0, vipAvailable: 0, minStock: 0, waiting: 0 };
  for (const level of levels) {
    if (level.sku !== sku || (warehouseId !== null && level.warehouseId !== warehouseId)) continue;
    const live = { ...level, reserved: level.reserved - level.expiredReserved };
    sum.onHand += live.onHand;
    sum.reserved += live.reserved;
    sum.safetyBuffer += live.safetyBuffer;
    sum.minStock += heldBack(live);
    sum.available += availableFor(live, "STANDARD");
    sum.vipAvailable += availableFor(live, "VIP");
    sum.waiting += level.waiting;
  }
  return sum;
}

/**
 * Orders (sku, warehouse) keys the one way every transaction locks them, so none deadlock. The
 * SQL that locks several rows sorts with COLLATE "C", which orders these ASCII keys the same.
 */
export function compareStockKeys(a: { sku: string; warehouseId: string }, b: { sku: string; warehouseId: string }): number {
  if (a.sku !== b.sku) return a.sku < b.sku ? -1 : 1;
  if (a.warehouseId !== b.warehouseId) return a.warehouseId < b.warehouseId ? -1 : 1;
  return 0;
}

export const stockKey = (k: { sku: string; warehouseId: string }): string => `${k.sku}\u0000${k.warehouseId}`;
