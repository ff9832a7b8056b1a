// The stock levels this process last read or wrote, per SKU, so a batch on a busy SKU can decide
// without reading them again. Never trusted for correctness: a batch that decided on cached rows
// grants only in full, and writes only if the units are still there and, where the SKU has
// several levels to choose from, every level it looked at is still at the version it saw (the
// write undoes itself otherwise, and the batch reads afresh). A SKU whose cached levels proved
// stale (another process writes it too) is read for its next few batches instead. Bounded: the
// least recently used SKUs go first.
import { stockKey } from "../core/stock.js";
import type { StockRow } from "../db/stock-repository.js";

export class StockCache {
  /** Every stock level of each SKU, in key order; Map order is recency (oldest first). */
  private readonly bySku = new Map<string, StockRow[]>();
  /** SKUs to read rather than serve from the cache, and for how many more reads. */
  private readonly readsBeforeUse = new Map<string, number>();
  /** Decisions made on cached rows, and batches that had to read. */
  hits = 0;
  misses = 0;

  constructor(private readonly skusMax: number, private readonly readsAfterStale = 0) {}

  /** The stock levels of all these SKUs (every warehouse of each), or null if any is not cached. */
  levelsOf(skus: string[]): StockRow[] | null {
    const levels: StockRow[] = [];
    for (const sku of skus) {
      const rows = this.readsBeforeUse.has(sku) ? undefined : this.bySku.get(sku);
      if (!rows) {
        this.misses++;
        return null;
      }
      levels.push(...rows);
    }
    this.hits++;
    return levels;
  }

  /**
   * Everything a read found for these SKUs; a SKU with no stock level anywhere is not kept. A
   * level already cached at a later version (a write that committed after this read's snapshot)
   * keeps that version.
   */
  read(skus: string[], rows: StockRow[]): void {
    const found = new Map<string, StockRow[]>();
    for (const r of rows) {
      const ofSku = found.get(r.sku);
      if (ofSku) ofSku.push(r);
      else found.set(r.sku, [r]);
    }
    for (const sku of skus) {
      const left = this.readsBeforeUse.get(sku);
      if (left !== undefined) {
        if (left <= 1) this.readsBeforeUse.delete(sku);
        else this.readsBeforeUse.set(sku, left - 1);
      }
      const ofSku = found.get(sku) ?? [];
      if (ofSku.length === 0) {
        this.bySku.delete(sku);
        continue;
      }
      const cached = new Map((this.bySku.get(sku) ?? []).map((r) => [stockKey(r), r]));
      this.keep(sku, ofSku.map((r) => {
        const newer = cached.get(stockKey(r));
        return newer && newer.version > r.version ? newer : r;
      }));
    }
  }

  /**
   * The levels a committed write changed, as they are after it; a SKU not cached stays out, and a
   * level cached at a later version (a batch that finished first) keeps it.
   */
  written(rows: StockRow[]): void {
    for (const row of rows) {
      const cached = this.bySku.get(row.sku);
      if (!cached) continue;
      const at = cached.findIndex((r) => stockKey(r) === stockKey(row));
      if (at < 0) {
        // A level the cache did not know: the SKU's set is incomplete, so it is read again.
        this.bySku.delete(row.sku);
        continue;
      }
      if (cached[at]!.version >= row.version) continue;
      const next = cached.slice();
      next[at] = row;
      this.keep(row.sku, next);
    }
  }

  /** Drops SKUs whose levels this process changed some other way; their next batch reads them. */
  drop(skus: Iterable<string>): void {
    for (const sku of skus) this.bySku.delete(sku);
  }

  /** Drops SKUs whose cached levels proved stale; they are read for their next readsAfterStale batches. */
  stale(skus: Iterable<string>): void {
    for (const sku of skus) {
      this.bySku.delete(sku);
      if (this.readsAfterStale > 0) this.readsBeforeUse.set(sku, this.readsAfterStale);
    }
  }

  private keep(sku: string, rows: StockRow[]): void {
    this.bySku.delete(sku);
    this.bySku.set(sku, rows);
    if (this.bySku.size > this.skusMax) this.bySku.delete(this.bySku.keys().next().value!);
    // Bounded like the cache: skipped SKUs past the bound are simply served from it again.
    if (this.readsBeforeUse.size > this.skusMax) this.readsBeforeUse.delete(this.readsBeforeUse.keys().next().value!);
  }
}
