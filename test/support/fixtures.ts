// Small builders shared by the integration tests.
import { randomUUID } from "node:crypto";
import { AdjustmentReason } from "../../src/gen/inventory/v1/stock.js";
import { Priority } from "../../src/gen/inventory/v1/reservation.js";
import type { ReserveRequest } from "../../src/gen/inventory/v1/reservation_service.js";
import type { TestServer } from "./server.js";

export const newRequestId = (): string => randomUUID();

let counter = 0;
/** A name unique within the run, so tests in one database never share SKUs or warehouses. */
export const unique = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

export async function stockedSku(server: TestServer, onHand: number, warehouseId?: string): Promise<{ sku: string; warehouseId: string }> {
  const wh = warehouseId ?? (await newWarehouse(server));
  const sku = unique("SKU");
  await server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId: wh, onHand: String(onHand) });
  return { sku, warehouseId: wh };
}

export async function newWarehouse(server: TestServer, region = "eu-west"): Promise<string> {
  const warehouseId = unique("wh");
  await server.inventory.createWarehouse({ warehouseId, displayName: `Warehouse ${warehouseId}`, region });
  return warehouseId;
}

export function reserveRequest(lines: { sku: string; quantity: number; warehouseId?: string }[], over: Partial<ReserveRequest> = {}): ReserveRequest {
  return {
    requestId: newRequestId(),
    orderId: unique("order"),
    customerId: "customer-1",
    channel: "web",
    priority: Priority.PRIORITY_STANDARD,
    allowPartial: false,
    waitForStock: false,
    lines: lines.map((l) => ({ sku: l.sku, quantity: String(l.quantity), warehouseId: l.warehouseId ?? "" })),
    ...over,
  };
}

export async function availability(server: TestServer, sku: string, warehouseId = ""): Promise<{ onHand: number; reserved: number; available: number }> {
  const { availability: a } = await server.inventory.getAvailability({ sku, warehouseId });
  return { onHand: Number(a!.onHand), reserved: Number(a!.reserved), available: Number(a!.available) };
}

export { AdjustmentReason, Priority };
