// Warehouses and physical stock: load, decide, write in one transaction.
import type { AdjustStockCommand, AvailabilityQuery, CreateWarehouseCommand, SetStockCommand } from "../core/commands.js";
import { ServiceError } from "../core/failure.js";
import { summarizeAvailability } from "../core/stock.js";
import { Warehouse } from "../db/entities.js";
import { isUniqueViolation, translateDatabaseError } from "../db/errors.js";
import type { Em, Orm } from "../db/orm.js";
import { applyStockDelta, ensureStockLevel, existingWarehouseIds, readStockLevel, readStockLevels } from "../db/stock-repository.js";
import type { Availability, Warehouse as WarehouseMessage } from "../gen/inventory/v1/stock.js";
import { AdjustStockResponse, SetStockResponse } from "../gen/inventory/v1/inventory_service.js";
import type { Clock } from "./clock.js";
import { runIdempotent } from "./idempotent.js";
import { availabilityView, stockLevelView, warehouseView } from "./views.js";

export class InventoryApp {
  constructor(private readonly orm: Orm, private readonly clock: Clock) {}

  async createWarehouse(cmd: CreateWarehouseCommand): Promise<WarehouseMessage> {
    const em = this.orm.em.fork();
    const warehouse = em.create(Warehouse, { ...cmd, createTime: this.clock.now() });
    try {
      await em.persistAndFlush(warehouse);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ServiceError({
          reason: "WAREHOUSE_EXISTS",
          message: `warehouse ${JSON.stringify(cmd.warehouseId)} already exists`,
          metadata: { warehouse_id: cmd.warehouseId },
        });
      }
      translateDatabaseError(error);
    }
    return warehouseView(warehouse);
  }

  setStock(cmd: SetStockCommand): Promise<SetStockResponse> {
    const time = this.clock.now();
    return runIdempotent(this.orm, {
      method: "SetStock", requestId: cmd.requestId, command: cmd, codec: SetStockResponse, time,
      work: async (em, record) => {
        await requireWarehouse(em, cmd.warehouseId);
        await ensureStockLevel(em, cmd.sku, cmd.warehouseId, time);
        // A cycle count replaces on_hand, so it needs the current value: lock the row to read it.
        const current = (await readStockLevel(em, cmd.sku, cmd.warehouseId, true))!;
        if (cmd.onHand < current.reserved) throw onHandBelowReserved(cmd.sku, cmd.warehouseId, cmd.onHand, current.reserved);
        const after = await applyStockDelta(
          em,
          { sku: cmd.sku, warehouseId: cmd.warehouseId, onHandDelta: cmd.onHand - current.onHand, reservedDelta: 0, guard: "on_hand_covers_reserved" },
          { kind: "SET_STOCK", requestId: cmd.requestId, reservationId: null, payload: { counted: cmd.onHand, previous: current.onHand }, time },
        );
        if (!after) throw new Error("SetStock guard failed on a locked row");
        const response = { stockLevel: stockLevelView(after) };
        await record(response);
        return response;
      },
    });
  }

  adjustStock(cmd: AdjustStockCommand): Promise<AdjustStockResponse> {
    const time = this.clock.now();
    return runIdempotent(this.orm, {
      method: "AdjustStock", requestId: cmd.requestId, command: cmd, codec: AdjustStockResponse, time,
      work: async (em, record) => {
        await requireWarehouse(em, cmd.warehouseId);
        await ensureStockLevel(em, cmd.sku, cmd.warehouseId, time);
        const after = await applyStockDelta(
          em,
          { sku: cmd.sku, warehouseId: cmd.warehouseId, onHandDelta: cmd.delta, reservedDelta: 0, guard: "on_hand_covers_reserved" },
          { kind: "ADJUST_STOCK", requestId: cmd.requestId, reservationId: null, payload: { reason: cmd.reason }, time },
        );
        if (!after) {
          // The guard refused: read the row only to explain why (the transaction rolls back).
          const current = (await readStockLevel(em, cmd.sku, cmd.warehouseId))!;
          const result = current.onHand + cmd.delta;
          if (result < 0) {
            throw new ServiceError({
              reason: "INSUFFICIENT_ON_HAND",
              message: `SKU ${JSON.stringify(cmd.sku)} has ${current.onHand} units on hand in ${cmd.warehouseId}; cannot remove ${-cmd.delta}`,
              metadata: { sku: cmd.sku, warehouse_id: cmd.warehouseId, on_hand: String(current.onHand), delta: String(cmd.delta) },
            });
          }
          throw onHandBelowReserved(cmd.sku, cmd.warehouseId, result, current.reserved);
        }
        const response = { stockLevel: stockLevelView(after) };
        await record(response);
        return response;
      },
    });
  }

  async getAvailability(query: AvailabilityQuery): Promise<Availability[]> {
    const em = this.orm.em.fork();
    try {
      if (query.warehouseId !== null) await requireWarehouse(em, query.warehouseId);
      const levels = await readStockLevels(em, query.skus);
      return query.skus.map((sku) => {
        if (!levels.some((l) => l.sku === sku)) {
          throw new ServiceError({
            reason: "SKU_NOT_FOUND",
            message: `SKU ${JSON.stringify(sku)} has never been stocked in any warehouse`,
            metadata: { sku },
          });
        }
        return availabilityView(summarizeAvailability(sku, query.warehouseId, levels));
      });
    } catch (error) {
      translateDatabaseError(error);
    }
  }
}

export async function requireWarehouse(em: Em, warehouseId: string): Promise<void> {
  const found = await existingWarehouseIds(em, [warehouseId]);
  if (!found.has(warehouseId)) throw warehouseNotFound(warehouseId);
}

export function warehouseNotFound(warehouseId: string): ServiceError {
  return new ServiceError({
    reason: "WAREHOUSE_NOT_FOUND",
    message: `warehouse ${JSON.stringify(warehouseId)} does not exist`,
    metadata: { warehouse_id: warehouseId },
  });
}

function onHandBelowReserved(sku: string, warehouseId: string, onHand: number, reserved: number): ServiceError {
  return new ServiceError({
    reason: "ON_HAND_BELOW_RESERVED",
    message: `SKU ${JSON.stringify(sku)} in ${warehouseId} would have ${onHand} units on hand but ${reserved} are reserved; release reservations first`,
    metadata: { sku, warehouse_id: warehouseId, on_hand: String(onHand), reserved: String(reserved) },
  });
}
