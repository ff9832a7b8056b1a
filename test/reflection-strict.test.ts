// Server reflection must serve the real .proto files (imports, comments, snake_case names), so
// that grpcurl describe/invoke and other strict clients work. Proven with a client that knows
// nothing but what reflection sends and that fails on any unresolved import.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, service as healthService } from "grpc-health-check";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { clone, create, fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, SourceCodeInfo_LocationSchema } from "@bufbuild/protobuf/wkt";
import { addReflection, loadImage } from "../src/grpc/reflection.js";
import { buildStrictRegistry, StrictReflectionClient } from "./support/strict-reflection-client.js";

const imageUrl = new URL("../src/gen/image.binpb", import.meta.url);

async function listen(server: grpc.Server): Promise<string> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return `127.0.0.1:${port}`;
}

/** A field by its proto (snake_case) name; DescMessage.field is keyed by the camelCase localName. */
function fieldNamed(message: DescMessage | undefined, name: string) {
  return message?.fields.find((f) => f.name === name);
}

/** A FileDescriptorProto without buf's image-only field 8042, which protobufjs does not keep. */
function withoutBufImageExtension(file: Uint8Array): Buffer {
  const reader = new BinaryReader(file);
  const kept: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [fieldNo, wireType] = reader.tag();
    reader.skip(wireType);
    if (fieldNo !== 8042) kept.push(file.subarray(start, reader.pos));
  }
  return Buffer.concat(kept);
}

describe("server reflection serves the real proto files to a strict client", () => {
  const server = new grpc.Server();
  let address: string;
  let client: StrictReflectionClient;

  beforeAll(async () => {
    addReflection(server, imageUrl);
    new HealthImplementation({
      "": "SERVING",
      "inventory.v1.ReservationService": "SERVING",
      "inventory.v1.InventoryService": "SERVING",
    }).addToServer(server);
    address = await listen(server);
    client = new StrictReflectionClient(address);
  });

  afterAll(() => {
    client?.close();
    server.forceShutdown();
  });

  it("lists the inventory services and grpc.health.v1.Health", async () => {
    const services = await client.listServices();
    expect(services).toEqual(
      expect.arrayContaining([
        "inventory.v1.ReservationService",
        "inventory.v1.InventoryService",
        "grpc.health.v1.Health",
      ]),
    );
    expect(client.version).toBe("v1");
  });

  it("describes ReserveRequest with its snake_case field names and the comments of message and fields", async () => {
    const message = await client.describe("inventory.v1.ReserveRequest");
    if (message.kind !== "message") throw new Error(`expected a message, got ${message.kind}`);
    expect(message.fields.map((f) => f.name)).toEqual([
      "request_id",
      "order_id",
      "customer_id",
      "channel",
      "priority",
      "allow_partial",
      "lines",
      "wait_for_stock",
      "ttl",
    ]);
    expect(fieldNamed(message, "allow_partial")?.jsonName).toBe("allowPartial");
    expect(fieldNamed(message, "lines")?.message?.typeName).toBe("inventory.v1.ReserveLine");
    expect(await client.commentOf("inventory.v1.ReserveRequest")).toBe("Request of Reserve.");
    expect(await client.commentOf("inventory.v1.ReserveRequest.request_id")).toBe(
      "Idempotency key, 1-64 printable ASCII characters.",
    );
    expect(await client.commentOf("inventory.v1.ReserveRequest.allow_partial")).toBe(
      "Accept fewer units than asked on short lines instead of failing.",
    );
  });

  it("serves the leading comments of services and RPC methods", async () => {
    expect(await client.commentOf("inventory.v1.ReservationService")).toMatch(
      /^Binds stock to orders and releases it/,
    );
    expect(await client.commentOf("inventory.v1.ReservationService.Reserve")).toMatch(
      /^Reserves every line of an order atomically \(all lines are written, or none\)\./,
    );
    expect(await client.commentOf("inventory.v1.ReservationService/GetReservation")).toBe(
      "Reads one reservation. NOT_FOUND when unknown.",
    );
    expect(await client.commentOf("inventory.v1.ReservationState.RESERVATION_STATE_ACTIVE")).toBe(
      "Units are held for the order; with wait_for_stock, some lines may still be waiting.",
    );
  });

  it("resolves imports by file name: GetReservationResponse -> reservation.proto -> google/protobuf/timestamp.proto", async () => {
    const response = await client.describe("inventory.v1.GetReservationResponse");
    if (response.kind !== "message") throw new Error(`expected a message, got ${response.kind}`);
    expect(response.file.name).toBe("inventory/v1/reservation_service");
    const reservation = fieldNamed(response, "reservation")?.message;
    expect(reservation?.typeName).toBe("inventory.v1.Reservation");
    expect(reservation?.file.name).toBe("inventory/v1/reservation");
    expect(fieldNamed(reservation, "create_time")?.message?.typeName).toBe("google.protobuf.Timestamp");
    expect(fieldNamed(reservation, "create_time")?.message?.file.name).toBe("google/protobuf/timestamp");

    const direct = await client.describe("inventory.v1.Reservation");
    expect(direct.kind).toBe("message");
    expect((await client.describe("google.protobuf.Timestamp")).kind).toBe("message");

    const registry = await client.registryFor("inventory.v1.GetReservationResponse");
    expect([...registry.files].map((f) => f.proto.name).sort()).toEqual([
      "google/protobuf/duration.proto",
      "google/protobuf/timestamp.proto",
      "inventory/v1/reservation.proto",
      "inventory/v1/reservation_service.proto",
    ]);
  });

  it("serves every image file byte-for-byte (except buf's image-only field 8042) with its dependency list", async () => {
    const image = loadImage(imageUrl);
    expect(image.files.length).toBeGreaterThanOrEqual(5);
    for (const raw of image.files) {
      const expected = fromBinary(FileDescriptorProtoSchema, raw);
      const served = await client.fileByFilename(expected.name);
      expect(Buffer.from(served.bytes).equals(withoutBufImageExtension(raw)), expected.name).toBe(true);
      expect(served.proto.dependency).toEqual(expected.dependency);
      expect(served.proto.sourceCodeInfo?.location.length ?? 0).toBeGreaterThan(0);
    }
    const reservationFile = await client.fileByFilename("inventory/v1/reservation.proto");
    expect(reservationFile.proto.dependency).toEqual(["google/protobuf/timestamp.proto"]);
  });

  it("invokes grpc.health.v1.Health/Check through reflection-built descriptors and gets JSON back", async () => {
    expect(await client.invoke("grpc.health.v1.Health/Check", {})).toEqual({ status: "SERVING" });
    expect(
      await client.invoke("grpc.health.v1.Health/Check", { service: "inventory.v1.ReservationService" }),
    ).toEqual({ status: "SERVING" });
    await expect(
      client.invoke("grpc.health.v1.Health/Check", { service: "no.such.Service" }),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("serves a health.proto descriptor whose methods match what grpc-health-check registers", async () => {
    const health = await client.describe("grpc.health.v1.Health");
    if (health.kind !== "service") throw new Error(`expected a service, got ${health.kind}`);
    const served = health.methods.map((m) => ({
      path: `/${health.typeName}/${m.name}`,
      requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
      responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      input: m.input.typeName,
      output: m.output.typeName,
    }));
    const registered = Object.values(healthService).map((m) => ({
      path: m.path,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      input: (m.requestType.type as { name?: string }).name,
      output: (m.responseType.type as { name?: string }).name,
    }));
    const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    expect(served.map((m) => ({ ...m, input: m.input.split(".").pop(), output: m.output.split(".").pop() })).sort(byPath))
      .toEqual(registered.sort(byPath));
    const statuses = await client.describe("grpc.health.v1.HealthListResponse.statuses");
    expect(statuses.kind === "field" && statuses.fieldKind).toBe("map");
  });

  it("answers the same way over grpc.reflection.v1alpha", async () => {
    const alpha = new StrictReflectionClient(address, { version: "v1alpha" });
    try {
      expect(await alpha.listServices()).toContain("inventory.v1.ReservationService");
      const reservation = await alpha.describe("inventory.v1.Reservation");
      expect(reservation.kind === "message" && fieldNamed(reservation, "update_time")?.message?.typeName).toBe(
        "google.protobuf.Timestamp",
      );
      expect(alpha.version).toBe("v1alpha");
    } finally {
      alpha.close();
    }
  });

  it("negative control: the strict registry refuses reservation.proto without google/protobuf/timestamp.proto, and span-less comment locations", async () => {
    const reservationFile = await client.fileByFilename("inventory/v1/reservation.proto");
    const timestamp = await client.fileByFilename("google/protobuf/timestamp.proto");
    expect(() => buildStrictRegistry(reservationFile.proto, () => undefined)).toThrow(
      /google\/protobuf\/timestamp\.proto/,
    );
    // Same file with its import available: builds.
    const ok = buildStrictRegistry(reservationFile.proto, (name) =>
      name === timestamp.name ? timestamp.proto : undefined,
    );
    expect(ok.getMessage("inventory.v1.Reservation")).toBeDefined();
    // A comment location without a span is refused too, as Go's protodesc (grpcurl) refuses it.
    const spanless = clone(FileDescriptorProtoSchema, timestamp.proto);
    spanless.sourceCodeInfo?.location.push(create(SourceCodeInfo_LocationSchema, { path: [4, 0] }));
    expect(() => buildStrictRegistry(spanless, () => undefined)).toThrow(/invalid span/);
  });

  it("negative control: the unpatched @grpc/reflection setup (proto-loader's synthetic files) fails the strict client", async () => {
    const plain = new grpc.Server();
    new ReflectionService(
      protoLoader.loadFileDescriptorSetFromBuffer(loadImage(imageUrl).bytes, { keepCase: true }),
    ).addToServer(plain);
    const plainClient = new StrictReflectionClient(await listen(plain));
    try {
      // Listing still works, which is why the breakage goes unnoticed...
      expect(await plainClient.listServices()).toContain("inventory.v1.ReservationService");
      // ...but the file holding GetReservationResponse does not declare its imports.
      await expect(plainClient.describe("inventory.v1.GetReservationResponse")).rejects.toThrow(
        /google\.protobuf\.Timestamp not found/,
      );
    } finally {
      plainClient.close();
      plain.forceShutdown();
    }
  });
});
