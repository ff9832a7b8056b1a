// Decides what a Reserve call takes from which warehouse, from a snapshot of the counters.
// Pure: the shell applies the plan with guarded updates that re-check every line in the
// database, so a stale snapshot can only make the transaction retry, never oversell.
import type { ReserveCommand } from "./commands.js";
import { fail, ok, type Result } from "./failure.js";
import { availableFor, type StockCounters } from "./stock.js";
import type { PriorityName } from "./commands.js";

export interface PlannedLine {
  /** Position of the line in the request. */
  index: number;
  sku: string;
  warehouseId: string;
  requested: number;
  reserved: number;
  /** Units left waiting for stock (wait_for_stock orders only). */
  waiting: number;
}

export interface AllocationInput {
  command: ReserveCommand;
  /** Every stock level of every SKU the command names. */
  stock: StockCounters[];
  /** The warehouses named by the command's lines that exist. */
  knownWarehouseIds: ReadonlySet<string>;
}

export function allocate({ command, stock, knownWarehouseIds }: AllocationInput): Result<PlannedLine[]> {
  const plan: PlannedLine[] = [];
  for (const [index, line] of command.lines.entries()) {
    if (line.warehouseId !== null && !knownWarehouseIds.has(line.warehouseId)) {
      return fail({
        reason: "WAREHOUSE_NOT_FOUND",
        message: `warehouse ${JSON.stringify(line.warehouseId)} does not exist`,
        metadata: { warehouse_id: line.warehouseId, field: `lines[${index}].warehouse_id` },
      });
    }
    const levels = stock.filter((s) => s.sku === line.sku);
    if (levels.length === 0) {
      return fail({
        reason: "SKU_NOT_FOUND",
        message: `SKU ${JSON.stringify(line.sku)} has never been stocked in any warehouse`,
        metadata: { sku: line.sku, field: `lines[${index}].sku` },
      });
    }
    const { warehouseId, available } = line.warehouseId !== null
      ? { warehouseId: line.warehouseId, available: availableIn(levels, line.warehouseId, command.priority) }
      : bestWarehouse(levels, command.priority);
    const reserved = Math.min(line.quantity, available);
    const short = reserved < line.quantity;
    if (short && !command.allowPartial && !command.waitForStock) return fail(insufficient(line.sku, warehouseId, line.quantity, available));
    const waiting = command.waitForStock ? line.quantity - reserved : 0;
    plan.push({ index, sku: line.sku, warehouseId, requested: line.quantity, reserved, waiting });
  }
  // A waiting order may hold nothing yet (PENDING); any other order must get at least one unit.
  if (!command.waitForStock && plan.every((p) => p.reserved === 0)) {
    const first = plan[0]!;
    return fail(insufficient(first.sku, first.warehouseId, first.requested, 0));
  }
  return ok(plan);
}

function availableIn(levels: StockCounters[], warehouseId: string, priority: PriorityName): number {
  const level = levels.find((s) => s.warehouseId === warehouseId);
  return level ? availableFor(level, priority) : 0;
}

/** The warehouse with the most available units; ties go to the smallest id, for determinism. */
function bestWarehouse(levels: StockCounters[], priority: PriorityName): { warehouseId: string; available: number } {
  let best = { warehouseId: "", available: -1 };
  for (const level of levels) {
    const available = availableFor(level, priority);
    if (available > best.available || (available === best.available && level.warehouseId < best.warehouseId)) {
      best = { warehouseId: level.warehouseId, available };
    }
  }
  return best;
}

function insufficient(sku: string, warehouseId: string, requested: number, available: number) {
  return {
    reason: "INSUFFICIENT_STOCK" as const,
    message: `SKU ${JSON.stringify(sku)} has ${available} units available in ${warehouseId}, ${requested} requested`,
    metadata: { sku, warehouse_id: warehouseId, requested: String(requested), available: String(available) },
  };
}
