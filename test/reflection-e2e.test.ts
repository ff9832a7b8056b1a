// Reflection on the full server (services, reflection and health on one port, over a real
// database): a client that knows only what reflection serves describes both services, finds the
// comments and snake_case field names, and makes real calls with snake_case JSON bodies, as
// grpcurl does. test/reflection-strict.test.ts covers the reflection service on its own.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import type { JsonObject } from "@bufbuild/protobuf";
import { decodeStatus } from "../src/grpc/status-details.js";
import { openTestDatabase, type TestDatabase } from "./support/database.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { unique } from "./support/fixtures.js";
import { StrictReflectionClient, type DescribedElement } from "./support/strict-reflection-client.js";

let db: TestDatabase;
let server: TestServer;
let client: StrictReflectionClient;
beforeAll(async () => {
  db = await openTestDatabase();
  server = await startTestServer(db.orm);
  client = new StrictReflectionClient(server.address);
});
afterAll(async () => {
  client?.close();
  await server?.stop();
  await db?.close();
});

function methodsOf(element: DescribedElement): string[] {
  if (element.kind !== "service") throw new Error(`expected a service, got ${element.kind}`);
  return element.methods.map((m) => m.name);
}

function fieldNames(element: DescribedElement): string[] {
  if (element.kind !== "message") throw new Error(`expected a message, got ${element.kind}`);
  return element.fields.map((f) => f.name);
}

async function rejectionOf(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

interface ReservationJson {
  reservationId: string;
  orderId: string;
  state: string;
  lines: { sku: string; warehouseId: string; requestedQuantity: string; reservedQuantity: string }[];
}

describe("reflection on the full server", () => {
  it("lists both inventory services and health", async () => {
    expect(await client.listServices()).toEqual(
      expect.arrayContaining(["inventory.v1.InventoryService", "inventory.v1.ReservationService", "grpc.health.v1.Health"]),
    );
  });

  it("describes ReservationService and InventoryService with every method", async () => {
    expect(methodsOf(await client.describe("inventory.v1.ReservationService"))).toEqual([
      "Reserve",
      "GetReservation",
      "ListReservations",
      "ReleaseReservation",
      "ExtendReservation",
      "ConfirmReservation",
      "BatchReserve",
    ]);
    expect(methodsOf(await client.describe("inventory.v1.InventoryService"))).toEqual([
      "CreateWarehouse",
      "SetStock",
      "AdjustStock",
      "SetStockPolicy",
      "GetStockPolicy",
      "FillWaitingReservations",
      "ListAlerts",
      "GetAvailability",
      "BatchGetAvailability",
    ]);
    const reserve = await client.describe("inventory.v1.ReservationService/Reserve");
    expect(reserve.kind === "rpc" && [reserve.input.typeName, reserve.output.typeName]).toEqual([
      "inventory.v1.ReserveRequest",
      "inventory.v1.ReserveResponse",
    ]);
  });

  it("serves the comments of services, methods, messages and fields", async () => {
    expect(await client.commentOf("inventory.v1.InventoryService")).toMatch(/^Warehouses and the physical stock in them\./);
    expect(await client.commentOf("inventory.v1.InventoryService.SetStock")).toMatch(/^Sets the absolute on-hand count of a SKU/);
    expect(await client.commentOf("inventory.v1.SetStockRequest")).toBe("Request of SetStock.");
    expect(await client.commentOf("inventory.v1.SetStockRequest.on_hand")).toBe("The counted units, 0 or more.");
    expect(await client.commentOf("inventory.v1.ReserveRequest.request_id")).toBe("Idempotency key, 1-64 printable ASCII characters.");
    expect(await client.commentOf("inventory.v1.Availability.available")).toMatch(/^Units a standard order can reserve now/);
  });

  it("has the snake_case field names (and lowerCamelCase JSON names) of the protos", async () => {
    expect(fieldNames(await client.describe("inventory.v1.SetStockRequest"))).toEqual(["request_id", "sku", "warehouse_id", "on_hand"]);
    expect(fieldNames(await client.describe("inventory.v1.ReserveLine"))).toEqual(["sku", "quantity", "warehouse_id"]);
    expect(fieldNames(await client.describe("inventory.v1.Reservation"))).toContain("release_reason");
    const onHand = await client.describe("inventory.v1.StockLevel.on_hand");
    expect(onHand.kind === "field" && [onHand.name, onHand.jsonName]).toEqual(["on_hand", "onHand"]);
  });

  it("creates a warehouse, counts stock and reserves through reflection-built descriptors with snake_case JSON", async () => {
    const warehouseId = unique("wh-refl");
    const sku = unique("SKU-REFL");
    const created = await client.invoke<{ warehouse: JsonObject }>("inventory.v1.InventoryService/CreateWarehouse", {
      warehouse_id: warehouseId,
      display_name: "Reflection DC",
      region: "eu-west",
    });
    expect(created.warehouse).toMatchObject({ warehouseId, displayName: "Reflection DC", region: "eu-west" });
    expect(created.warehouse.createTime).toMatch(/^\d{4}-\d\d-\d\dT/);

    const stocked = await client.invoke<{ stockLevel: JsonObject }>("inventory.v1.InventoryService/SetStock", {
      request_id: randomUUID(),
      sku,
      warehouse_id: warehouseId,
      on_hand: 5,
    });
    expect(stocked.stockLevel).toMatchObject({ sku, warehouseId, onHand: "5", available: "5" });
    // Defaults are omitted, as grpcurl prints them.
    expect(stocked.stockLevel).not.toHaveProperty("reserved");

    const reserved = await client.invoke<{ reservation: ReservationJson }>("inventory.v1.ReservationService/Reserve", {
      request_id: randomUUID(),
      order_id: unique("order-refl"),
      channel: "web",
      priority: "PRIORITY_STANDARD",
      lines: [{ sku, quantity: 2, warehouse_id: warehouseId }],
    });
    expect(reserved.reservation.state).toBe("RESERVATION_STATE_ACTIVE");
    expect(reserved.reservation.lines[0]?.reservedQuantity).toBe("2");
    expect(reserved.reservation.lines[0]).toEqual({ sku, warehouseId, requestedQuantity: "2", reservedQuantity: "2" });
    expect(reserved.reservation.reservationId).toMatch(/^[0-9a-f-]{36}$/);

    const read = await client.invoke<{ reservation: ReservationJson }>("inventory.v1.ReservationService/GetReservation", {
      reservation_id: reserved.reservation.reservationId,
    });
    expect(read.reservation).toEqual(reserved.reservation);

    const available = await client.invoke<{ availability: JsonObject }>("inventory.v1.InventoryService/GetAvailability", { sku });
    expect(available.availability).toMatchObject({ sku, onHand: "5", reserved: "2", available: "3" });
  });

  it("delivers INVALID_ARGUMENT (code 3) with its details to a reflection-based invoke", async () => {
    const error = await rejectionOf(
      client.invoke("inventory.v1.ReservationService/Reserve", {
        request_id: randomUUID(),
        order_id: unique("order-refl"),
        lines: [{ sku: "ANY-SKU", quantity: 0 }],
      }),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.code).toBe(3);
    const bin = error.metadata.get("grpc-status-details-bin")[0];
    expect(bin).toBeInstanceOf(Buffer);
    const details = decodeStatus(bin as Buffer);
    expect(details.code).toBe(3);
    expect(details.errorInfo?.domain).toBe("stockhold.inventory.v1");
    expect(details.fieldViolations).toContainEqual(expect.objectContaining({ field: "lines[0].quantity" }));
  });

  it("rejects a JSON body with an unknown field before calling, as grpcurl does", async () => {
    await expect(client.invoke("inventory.v1.InventoryService/GetAvailability", { sku: "X", no_such_field: 1 })).rejects.toThrow(/no_such_field/);
  });
});
