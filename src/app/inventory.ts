// Warehouses, physical stock and stock policies: load, decide, write in one transaction.
import type {
  AdjustStockCommand, AvailabilityQuery, CreateWarehouseCommand, ListAlertsQuery, SetStockCommand, SetStockPolicyCommand, StockKeyCommand,
} from "../core/commands.js";
import { orThrow, ServiceError } from "../core/failure.js";
import { decodePageToken, encodePageToken } from "../core/page-token.js";
import { heldBack, stockKey, summarizeAvailability } from "../core/stock.js";
import { Warehouse } from "../db/entities.js";
import { isUniqueViolation, translateDatabaseError } from "../db/errors.js";
import type { Em, Orm } from "../db/orm.js";
import { addSales, salesDay } from "../db/sales-repository.js";
import { listAlerts } from "../db/alert-repository.js";
import {
  applyStockDelta, ensureStockLevel, existingWarehouseIds, readHoldFigures, readStockLevel, readStockLevels, updatePolicy, type StockRow,
} from "../db/stock-repository.js";
import type { Alert, Availability, StockPolicy, Warehouse as WarehouseMessage } from "../gen/inventory/v1/stock.js";
import { AdjustStockResponse, FillWaitingReservationsResponse, SetStockPolicyResponse, SetStockResponse } from "../gen/inventory/v1/inventory_service.js";
import type { Clock } from "./clock.js";
import { runIdempotent } from "./idempotent.js";
import { changeOnHand, fillWaiting } from "./stock-flow.js";
import { alertView, availabilityView, stockLevelView, stockPolicyView, warehouseView } from "./views.js";

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

  /** A cycle count: the difference to the current count goes through the same path as AdjustStock. */
  setStock(cmd: SetStockCommand): Promise<SetStockResponse> {
    const time = this.clock.now();
    return runIdempotent(this.orm, {
      method: "SetStock", requestId: cmd.requestId, command: cmd, codec: SetStockResponse, time,
      work: async (em, record) => {
        await requireWarehouse(em, cmd.warehouseId);
        await ensureStockLevel(em, cmd.sku, cmd.warehouseId, time);
        const current = (await readStockLevel(em, cmd.sku, cmd.warehouseId, true))!;
        const after = await changeOnHand(em, cmd, cmd.onHand - current.onHand, {
          kind: "SET_STOCK", payload: { counted: cmd.onHand, previous: current.onHand },
        }, { requestId: cmd.requestId, time });
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
        const after = await changeOnHand(em, cmd, cmd.delta, { kind: "ADJUST_STOCK", payload: { reason: cmd.reason } }, { requestId: cmd.requestId, time });
        if (cmd.reason === "EXTERNAL_SALE") await addSales(em, [{ sku: cmd.sku, warehouseId: cmd.warehouseId, day: salesDay(time), units: -cmd.delta }]);
        const response = { stockLevel: stockLevelView(after) };
        await record(response);
        return response;
      },
    });
  }

  /**
   * `alongside` runs in the same transaction after the policy is written, with the row as it
   * was before (the forecast worker records its proposal there); it does not run on a replay.
   */
  setStockPolicy(cmd: SetStockPolicyCommand, alongside?: (em: Em, before: StockRow) => Promise<void>): Promise<SetStockPolicyResponse> {
    const time = this.clock.now();
    return runIdempotent(this.orm, {
      method: "SetStockPolicy", requestId: cmd.requestId, command: cmd, codec: SetStockPolicyResponse, time,
      work: async (em, record) => {
        const before = await writeStockPolicy(em, cmd, time);
        await alongside?.(em, before);
        const response = { stockPolicy: stockPolicyView((await readStockLevel(em, cmd.sku, cmd.warehouseId))!) };
        await record(response);
        return response;
      },
    });
  }

  async getStockPolicy(key: { sku: string; warehouseId: string }): Promise<StockPolicy> {
    const em = this.orm.em.fork();
    try {
      await requireWarehouse(em, key.warehouseId);
      const row = await readStockLevel(em, key.sku, key.warehouseId);
      if (!row) {
        throw new ServiceError({
          reason: "STOCK_LEVEL_NOT_FOUND",
          message: `SKU ${JSON.stringify(key.sku)} has never been stocked in ${key.warehouseId}`,
          metadata: { sku: key.sku, warehouse_id: key.warehouseId },
        });
      }
      return stockPolicyView(row);
    } catch (error) {
      translateDatabaseError(error);
    }
  }

  fillWaitingReservations(cmd: StockKeyCommand): Promise<FillWaitingReservationsResponse> {
    const time = this.clock.now();
    return runIdempotent(this.orm, {
      method: "FillWaitingReservations", requestId: cmd.requestId, command: cmd, codec: FillWaitingReservationsResponse, time,
      work: async (em, record) => {
        await requireWarehouse(em, cmd.warehouseId);
        const filled = await fillWaiting(em, cmd, { requestId: cmd.requestId, time }, true);
        const response = { filledQuantity: String(filled.units), reservationIds: filled.reservationIds };
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
      const holds = await readHoldFigures(em, query.skus, this.clock.now());
      const views = levels.map((l) => ({ ...l, expiredReserved: 0, waiting: 0, ...holds.get(stockKey(l)) }));
      return query.skus.map((sku) => {
        if (!levels.some((l) => l.sku === sku)) {
          throw new ServiceError({
            reason: "SKU_NOT_FOUND",
            message: `SKU ${JSON.stringify(sku)} has never been stocked in any warehouse`,
            metadata: { sku },
          });
        }
        return availabilityView(summarizeAvailability(sku, query.warehouseId, views));
      });
    } catch (error) {
      translateDatabaseError(error);
    }
  }

  async listAlerts(query: ListAlertsQuery): Promise<{ alerts: Alert[]; nextPageToken: string }> {
    const filter = { sku: query.sku, warehouseId: query.warehouseId };
    const before = orThrow(decodePageToken(query.pageToken, filter));
    try {
      const rows = await listAlerts(this.orm.em.fork(), filter, before, query.pageSize + 1);
      const page = rows.slice(0, query.pageSize);
      const last = page[page.length - 1];
      return {
        alerts: page.map(alertView),
        nextPageToken: rows.length > query.pageSize && last ? encodePageToken(last.seq, filter) : "",
      };
    } catch (error) {
      translateDatabaseError(error);
    }
  }
}

/**
 * A stock policy change inside the caller's transaction: locks the stock level, writes the
 * policy and its ledger entry, and fills waiting orders when fewer units are held back.
 * Returns the row as it was before.
 */
export async function writeStockPolicy(em: Em, cmd: SetStockPolicyCommand, time: Date): Promise<StockRow> {
  await requireWarehouse(em, cmd.warehouseId);
  await ensureStockLevel(em, cmd.sku, cmd.warehouseId, time);
  const before = (await readStockLevel(em, cmd.sku, cmd.warehouseId, true))!;
  const policy = {
    minStock: cmd.minStock ?? before.minStock,
    leadTimeMs: cmd.leadTimeMs ?? before.leadTimeMs,
    autoActivate: cmd.autoActivate ?? before.autoActivate,
    safetyBuffer: cmd.safetyBuffer ?? before.safetyBuffer,
  };
  await updatePolicy(em, cmd.sku, cmd.warehouseId, policy, time);
  // The ledger audits every policy change; its zero deltas leave the replay unchanged.
  await applyStockDelta(em, cmd, "constraints_only", [{
    kind: "POLICY", reservationId: null, onHandDelta: 0, reservedDelta: 0,
    payload: {
      reason: cmd.reason,
      before: { min_stock: before.minStock, lead_time_ms: before.leadTimeMs, auto_activate: before.autoActivate, safety_buffer: before.safetyBuffer },
      after: { min_stock: policy.minStock, lead_time_ms: policy.leadTimeMs, auto_activate: policy.autoActivate, safety_buffer: policy.safetyBuffer },
    },
  }], { requestId: cmd.requestId, time });
  const freed = heldBack(policy) < heldBack(before) || (policy.autoActivate && !before.autoActivate);
  if (freed) await fillWaiting(em, cmd, { requestId: cmd.requestId, time });
  return before;
}

export async function requireWarehouse(em: Em, warehouseId: string): Promise<void> {
  const found = await existingWarehouseIds(em, [warehouseId]);
  if (!found.has(warehouseId)) {
    throw new ServiceError({
      reason: "WAREHOUSE_NOT_FOUND",
      message: `warehouse ${JSON.stringify(warehouseId)} does not exist`,
      metadata: { warehouse_id: warehouseId },
    });
  }
}
