// Stock arithmetic shared by every decision: one definition of "available".

/** The counters of one (sku, warehouse) as loaded from the database. */
export interface StockCounters {
  sku: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
  safetyBuffer: number;
}

/** Units a standard order may still reserve; never negative. */
export function availableUnits(s: Pick<StockCounters, "onHand" | "reserved" | "safetyBuffer">): number {
  return Math.max(0, s.onHand - s.reserved - s.safetyBuffer);
}

export interface AvailabilityFigures {
  sku: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
  safetyBuffer: number;
  available: number;
}

/**
 * Availability of one SKU over the given stock levels: one warehouse's figures, or the sum over
 * all warehouses (warehouseId ""). Each warehouse's available is floored at 0 before summing,
 * because units held back in one warehouse cannot be sold from another.
 */
export function summarizeAvailability(sku: string, warehouseId: string | null, levels: StockCounters[]): AvailabilityFigures {
  const sum = { sku, warehouseId: warehouseId ?? "", onHand: 0, reserved: 0, safetyBuffer: 0, available: 0 };
  for (const level of levels) {
    if (level.sku !== sku || (warehouseId !== null && level.warehouseId !== warehouseId)) continue;
    sum.onHand += level.onHand;
    sum.reserved += level.reserved;
    sum.safetyBuffer += level.safetyBuffer;
    sum.available += availableUnits(level);
  }
  return sum;
}

/** Orders (sku, warehouse) keys the one way every transaction locks them, so none deadlock. */
export function compareStockKeys(a: { sku: string; warehouseId: string }, b: { sku: string; warehouseId: string }): number {
  if (a.sku !== b.sku) return a.sku < b.sku ? -1 : 1;
  if (a.warehouseId !== b.warehouseId) return a.warehouseId < b.warehouseId ? -1 : 1;
  return 0;
}
