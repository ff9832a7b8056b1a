import { describe, expect, it } from "vitest";
import { allocate } from "../../src/core/allocate.js";
import type { ReserveCommand, ReserveLineCommand } from "../../src/core/commands.js";
import type { StockCounters } from "../../src/core/stock.js";

const level = (sku: string, warehouseId: string, onHand: number, reserved = 0, safetyBuffer = 0): StockCounters => ({ sku, warehouseId, onHand, reserved, safetyBuffer, minStock: 0 });
const command = (lines: ReserveLineCommand[], allowPartial = false): ReserveCommand => ({
  requestId: "r", orderId: "o", customerId: "", channel: "", priority: "STANDARD", allowPartial, waitForStock: false, ttlMs: null, lines,
});
const line = (sku: string, quantity: number, warehouseId: string | null = null): ReserveLineCommand => ({ sku, quantity, warehouseId });

describe("allocate", () => {
  const cases: {
    name: string;
    lines: ReserveLineCommand[];
    allowPartial?: boolean;
    stock: StockCounters[];
    known?: string[];
    expect: { reason: string; metadata?: Record<string, string> } | { lines: [string, string, number, number][] };
  }[] = [
    { name: "reserves the full quantity from the named warehouse", lines: [line("A", 3, "w1")], stock: [level("A", "w1", 5)], known: ["w1"], expect: { lines: [["A", "w1", 3, 3]] } },
    { name: "takes the warehouse with the most available units when none is named", lines: [line("A", 2)], stock: [level("A", "w1", 5, 4), level("A", "w2", 3)], expect: { lines: [["A", "w2", 2, 2]] } },
    { name: "breaks ties between warehouses by the smallest id", lines: [line("A", 1)], stock: [level("A", "w2", 3), level("A", "w1", 3)], expect: { lines: [["A", "w1", 1, 1]] } },
    { name: "never counts the safety buffer as available", lines: [line("A", 3, "w1")], stock: [level("A", "w1", 5, 0, 3)], known: ["w1"], expect: { reason: "INSUFFICIENT_STOCK", metadata: { sku: "A", warehouse_id: "w1", requested: "3", available: "2" } } },
    { name: "fails the whole order when one line falls short without allow_partial", lines: [line("A", 1), line("B", 4)], stock: [level("A", "w1", 9), level("B", "w1", 3)], expect: { reason: "INSUFFICIENT_STOCK", metadata: { sku: "B", warehouse_id: "w1", requested: "4", available: "3" } } },
    { name: "gives each short line what is available with allow_partial", lines: [line("A", 5), line("B", 4)], allowPartial: true, stock: [level("A", "w1", 9), level("B", "w1", 3)], expect: { lines: [["A", "w1", 5, 5], ["B", "w1", 4, 3]] } },
    { name: "keeps a line at zero with allow_partial when another line gets units", lines: [line("A", 2), line("B", 1)], allowPartial: true, stock: [level("A", "w1", 2), level("B", "w1", 1, 1)], expect: { lines: [["A", "w1", 2, 2], ["B", "w1", 1, 0]] } },
    { name: "fails with allow_partial when no line gets anything", lines: [line("A", 2)], allowPartial: true, stock: [level("A", "w1", 2, 2)], expect: { reason: "INSUFFICIENT_STOCK", metadata: { sku: "A", warehouse_id: "w1", requested: "2", available: "0" } } },
    { name: "reports an unknown warehouse as not found", lines: [line("A", 1, "nowhere")], stock: [level("A", "w1", 2)], expect: { reason: "WAREHOUSE_NOT_FOUND", metadata: { warehouse_id: "nowhere", field: "lines[0].warehouse_id" } } },
    { name: "reports a SKU never stocked anywhere as not found", lines: [line("A", 1), line("Z", 1)], stock: [level("A", "w1", 2)], expect: { reason: "SKU_NOT_FOUND", metadata: { sku: "Z", field: "lines[1].sku" } } },
    { name: "treats a SKU stocked elsewhere as 0 available in the named warehouse", lines: [line("A", 1, "w2")], stock: [level("A", "w1", 2)], known: ["w2"], expect: { reason: "INSUFFICIENT_STOCK", metadata: { sku: "A", warehouse_id: "w2", requested: "1", available: "0" } } },
    { name: "treats oversubscribed counters as 0 available, never negative", lines: [line("A", 1)], allowPartial: true, stock: [level("A", "w1", 2, 1, 5)], expect: { reason: "INSUFFICIENT_STOCK", metadata: { sku: "A", warehouse_id: "w1", requested: "1", available: "0" } } },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const result = allocate({ command: command(c.lines, c.allowPartial), stock: c.stock, knownWarehouseIds: new Set(c.known ?? []) });
      if ("reason" in c.expect) {
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.failure.reason).toBe(c.expect.reason);
          expect(result.failure.metadata).toEqual(c.expect.metadata);
        }
      } else {
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.value.map((p) => [p.sku, p.warehouseId, p.requested, p.reserved])).toEqual(c.expect.lines);
      }
    });
  }
});
