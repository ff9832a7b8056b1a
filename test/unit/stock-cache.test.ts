// The stock cache's bookkeeping alone: what it holds after reads and writes, and what it drops.
import { describe, expect, it } from "vitest";
import { StockCache } from "../../src/app/stock-cache.js";
import type { StockRow } from "../../src/db/stock-repository.js";

const row = (sku: string, warehouseId: string, version: number, reserved = 0): StockRow => ({
  sku, warehouseId, onHand: 10, reserved, safetyBuffer: 0, minStock: 0, leadTimeMs: 0, autoActivate: false,
  version, updateTime: new Date(0), policyUpdateTime: null,
});

describe("StockCache", () => {
  it("answers only when every SKU asked for is held, counting hits and misses", () => {
    const cache = new StockCache(10);
    cache.read(["A", "B"], [row("A", "w1", 1), row("A", "w2", 1), row("B", "w1", 3)]);
    expect(cache.levelsOf(["A", "B"])?.map((r) => `${r.sku}/${r.warehouseId}`)).toEqual(["A/w1", "A/w2", "B/w1"]);
    expect(cache.levelsOf(["A", "C"])).toBeNull();
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it("keeps no SKU a read found no stock level for, and drops one it held before", () => {
    const cache = new StockCache(10);
    cache.read(["A"], [row("A", "w1", 1)]);
    cache.read(["A", "B"], []);
    expect(cache.levelsOf(["A"])).toBeNull();
    expect(cache.levelsOf(["B"])).toBeNull();
  });

  it("takes a written level's new figures and keeps the SKU's other levels", () => {
    const cache = new StockCache(10);
    cache.read(["A"], [row("A", "w1", 1), row("A", "w2", 1)]);
    cache.written([row("A", "w2", 2, 5)]);
    expect(cache.levelsOf(["A"])?.map((r) => [r.warehouseId, r.version, r.reserved])).toEqual([["w1", 1, 0], ["w2", 2, 5]]);
  });

  it("drops a SKU when a write shows a level it did not know, and ignores writes of SKUs it does not hold", () => {
    const cache = new StockCache(10);
    cache.read(["A"], [row("A", "w1", 1)]);
    cache.written([row("A", "w9", 1), row("Z", "w1", 4)]);
    expect(cache.levelsOf(["A"])).toBeNull();
    expect(cache.levelsOf(["Z"])).toBeNull();
  });

  it("holds at most skusMax SKUs, dropping the least recently read or written", () => {
    const cache = new StockCache(2);
    cache.read(["A"], [row("A", "w1", 1)]);
    cache.read(["B"], [row("B", "w1", 1)]);
    cache.written([row("A", "w1", 2)]);
    cache.read(["C"], [row("C", "w1", 1)]);
    expect(cache.levelsOf(["B"])).toBeNull();
    expect(cache.levelsOf(["A", "C"])).not.toBeNull();
  });

  it("drops a SKU that proved stale and serves it again only after readsAfterStale reads", () => {
    const cache = new StockCache(10, 2);
    cache.read(["A", "B"], [row("A", "w1", 1), row("B", "w1", 1)]);
    cache.stale(["A"]);
    expect(cache.levelsOf(["A"])).toBeNull();
    expect(cache.levelsOf(["B"])).not.toBeNull();
    cache.read(["A"], [row("A", "w1", 2)]);
    expect(cache.levelsOf(["A"])).toBeNull();
    cache.read(["A"], [row("A", "w1", 3)]);
    expect(cache.levelsOf(["A"])?.[0]?.version).toBe(3);
  });

  it("keeps a level's later version when a read that began before a write lands after it", () => {
    const cache = new StockCache(10);
    cache.read(["A"], [row("A", "w1", 1), row("A", "w2", 1)]);
    cache.written([row("A", "w1", 5)]);
    cache.read(["A"], [row("A", "w1", 4), row("A", "w2", 2)]);
    expect(cache.levelsOf(["A"])?.map((r) => r.version)).toEqual([5, 2]);
  });
});
