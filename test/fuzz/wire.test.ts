// Hostile bytes on the wire, below the generated code: protobuf with random fields and wrong wire
// types, undecodable bytes, oversized messages, and gRPC framing abuse over raw HTTP/2. Every
// answer is a clean status, the server stays healthy, and the database is untouched by every
// rejected call.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as grpc from "@grpc/grpc-js";
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { openTestDatabase, type TestDatabase } from "../support/database.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { reserveRequest, stockedSku, unique } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { connect, healthCheck } from "../support/faults/clients.js";
import { InventoryServiceService, CreateWarehouseRequest } from "../../src/gen/inventory/v1/inventory_service.js";
import { ReservationServiceService, ReserveRequest } from "../../src/gen/inventory/v1/reservation_service.js";
import { grpcReceiveMessageBytesMax } from "../../src/limits.js";
import { answerOf, cleanCodes, describeAnswer, snapshot, type Answer } from "./harness.js";

let db: TestDatabase;
let server: TestServer;
let raw: grpc.Client;
let sku: string;

const paths = [...Object.values(InventoryServiceService), ...Object.values(ReservationServiceService)].map((d) => d.path);

beforeAll(async () => {
  db = await openTestDatabase();
  server = await startTestServer(db.orm);
  raw = new grpc.Client(server.address, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": -1, "grpc.max_receive_message_length": -1 });
  ({ sku } = await stockedSku(server, 20));
  await server.reservations.reserve(reserveRequest([{ sku, quantity: 2 }]));
});
afterAll(async () => {
  raw?.close();
  await server?.stop();
  await db?.close();
});

const identity = (b: Buffer) => b;
function send(path: string, bytes: Uint8Array, deadlineMs = 10_000): Promise<Answer> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(path, identity, identity, Buffer.from(bytes), new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error) =>
      resolve(answerOf(error)));
  });
}

/** The server still answers, health and a real call. */
async function expectHealthy(): Promise<void> {
  const c = connect(server.address);
  try {
    expect(await healthCheck(c)).toEqual({ ok: true, value: "SERVING" });
  } finally {
    c.close();
  }
  const { availability } = await server.inventory.getAvailability({ sku, warehouseId: "" });
  expect(availability?.onHand).toBe("20");
}

/** One hostile call: a clean answer, and nothing written unless it succeeded. */
async function checkBytes(path: string, bytes: Uint8Array, allowed: Set<grpc.status> = cleanCodes): Promise<Answer> {
  const before = await snapshot(db);
  const answer = await send(path, bytes);
  expect(allowed.has(answer.code), `${path} answered ${describeAnswer(answer)} to ${Buffer.from(bytes.slice(0, 64)).toString("hex")}`).toBe(true);
  if (answer.code !== grpc.status.OK) expect(await snapshot(db), `${path}: a rejected call writes nothing`).toEqual(before);
  return answer;
}

// ---- protobuf-ish bytes -------------------------------------------------------------------

type Field =
  | { num: number; kind: "varint"; value: bigint }
  | { num: number; kind: "fixed64"; value: bigint }
  | { num: number; kind: "fixed32"; value: number }
  | { num: number; kind: "bytes"; value: Uint8Array };

const fieldNumber = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 13, max: 2 ** 29 - 1 }) });
const uint64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1n, 2n, 2n ** 31n, 2n ** 32n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n));

const tag = (num: number, wireType: number) => num * 8 + wireType;

function encode(fields: Field[]): Uint8Array {
  const w = new BinaryWriter();
  for (const f of fields) {
    if (f.kind === "varint") w.uint32(tag(f.num, 0)).uint64(f.value);
    else if (f.kind === "fixed64") w.uint32(tag(f.num, 1)).fixed64(f.value);
    else if (f.kind === "fixed32") w.uint32(tag(f.num, 5)).fixed32(f.value);
    else w.uint32(tag(f.num, 2)).bytes(f.value);
  }
  return w.finish();
}

/**
 * Well-framed messages: every field number with every wire type (so most land on a field of
 * another type), varints up to 2^64-1 (in int64, enum and bool fields), nested messages.
 */
const { message } = fc.letrec<{ message: Uint8Array; field: Field }>((tie) => ({
  message: fc.array(tie("field"), { maxLength: 10 }).map(encode),
  field: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ num: fieldNumber, kind: fc.constant("varint" as const), value: uint64 }),
    fc.record({ num: fieldNumber, kind: fc.constant("fixed64" as const), value: uint64 }),
    fc.record({ num: fieldNumber, kind: fc.constant("fixed32" as const), value: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
    // Length-delimited payloads are themselves well-framed messages, so they decode whether the
    // field is a string (as text, invalid UTF-8 included) or a message.
    fc.record({ num: fieldNumber, kind: fc.constant("bytes" as const), value: fc.oneof(fc.constant(new Uint8Array()), tie("message") as fc.Arbitrary<Uint8Array>) }),
  ) as fc.Arbitrary<Field>,
}));

/** A valid encoding of a request for `path`, with a few of its fields replaced by hostile ones. */
const validAndMutated = fc.tuple(fc.constantFrom(...paths), fc.array(fc.tuple(fieldNumber, uint64), { maxLength: 3 })).map(([path, extra]) => {
  const base = path.endsWith("/Reserve")
    ? ReserveRequest.encode(reserveRequest([{ sku, quantity: 1 }])).finish()
    : CreateWarehouseRequest.encode({ warehouseId: unique("wire"), displayName: "", region: "" }).finish();
  return { path, bytes: Buffer.concat([base, encode(extra.map(([num, value]) => ({ num, kind: "varint" as const, value })))]) };
});

/** Bytes the generated decoders cannot read: truncated fields, runaway lengths, 11-byte varints, open groups, noise. */
const undecodable = fc.oneof(
  fc.constantFrom(
    Uint8Array.of(0x0a, 0x05, 0x61),                              // a string of 5 bytes with 1 present
    Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f),            // a length of 4 GiB
    Uint8Array.of(0x10, ...Array(10).fill(0xff), 0x01),           // an 11-byte varint
    Uint8Array.of(0x0b),                                          // a group that never ends
    Uint8Array.of(0x3a, 0x03, 0x0a, 0x05, 0x41),                  // a nested message whose string runs past it
    Uint8Array.of(0x80),                                          // a tag cut short
    Uint8Array.of(0x1a, 0x03, 0x61, 0x62, 0x63),                  // text where a message (ttl) is expected
  ),
  fc.uint8Array({ minLength: 1, maxLength: 64 }),
  fc.integer({ min: 1, max: 40 }).map((cut) => ReserveRequest.encode(reserveRequest([{ sku: "TRUNCATED", quantity: 3 }])).finish().slice(0, -cut)),
);

describe("hostile bytes through the gRPC client", () => {
  it("protobuf with random fields and wrong wire types gets a clean answer and writes nothing when rejected", { timeout: 60_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), message, async (path, bytes) => void (await checkBytes(path, bytes))), {
      numRuns: Number(process.env.FUZZ_RUNS ?? 60) * 3,
      interruptAfterTimeLimit: 30_000,
    });
    await expectHealthy();
  });

  it("valid requests with unknown and mistyped extra fields are served like the valid request", { timeout: 60_000 }, async () => {
    await fc.assert(fc.asyncProperty(validAndMutated, async ({ path, bytes }) => void (await checkBytes(path, bytes))), {
      numRuns: Number(process.env.FUZZ_RUNS ?? 60),
      interruptAfterTimeLimit: 30_000,
    });
    await expectHealthy();
  });

  // BUG (reported): bytes the generated decoder cannot read throw inside requestDeserialize, and
  // grpc-js answers that with INTERNAL "Error deserializing request" before any handler runs. The
  // service should answer INVALID_ARGUMENT: wrap each requestDeserialize in src/server.ts so that
  // a decode failure reaches the handler as a malformed request.
  it("undecodable bytes are INVALID_ARGUMENT, never INTERNAL", { timeout: 60_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), undecodable, async (path, bytes) => void (await checkBytes(path, bytes))), {
      numRuns: Number(process.env.FUZZ_RUNS ?? 60),
      interruptAfterTimeLimit: 30_000,
    });
    await expectHealthy();
  });

  it("a message over the 4 MiB limit is RESOURCE_EXHAUSTED; one just at the limit is read and refused", { timeout: 60_000 }, async () => {
    // A Reserve whose order_id makes the message exactly `size` bytes (tag 1 byte, length 4 bytes).
    const ofSize = (size: number) => {
      const head = ReserveRequest.encode({ ...reserveRequest([{ sku, quantity: 1 }]), orderId: "" }).finish();
      return Buffer.concat([head, new BinaryWriter().uint32(0x12).string("o".repeat(size - head.length - 5)).finish()]);
    };
    const reserve = ReservationServiceService.reserve.path;
    expect(ofSize(grpcReceiveMessageBytesMax).length).toBe(grpcReceiveMessageBytesMax);
    const atLimit = await checkBytes(reserve, ofSize(grpcReceiveMessageBytesMax));
    expect(atLimit.status?.errorInfo).toMatchObject({ reason: "FIELD_OUT_OF_RANGE", metadata: { field: "order_id" } });
    for (const size of [grpcReceiveMessageBytesMax + 1, 5 * 1024 * 1024, 16 * 1024 * 1024]) {
      const answer = await checkBytes(reserve, ofSize(size));
      expect(answer.code, describeAnswer(answer)).toBe(grpc.status.RESOURCE_EXHAUSTED);
    }
    const many = await checkBytes(InventoryServiceService.batchGetAvailability.path, Buffer.concat(Array.from({ length: 500_000 }, (_, i) => new BinaryWriter().uint32(10).string(`S${String(i).padStart(8, "0")}`).finish())));
    expect(grpc.status[many.code]).toBe("RESOURCE_EXHAUSTED");
    await expectHealthy();
  });
});

// ---- raw HTTP/2 -----------------------------------------------------------------------------

interface RawAnswer { code: number | null; message: string }

/** One gRPC call written by hand: headers, then length-prefixed frames exactly as given. */
function rawCall(path: string, frames: Buffer[], headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${server.address}`);
    session.on("error", reject);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no answer within 10 s from ${path}`));
    }, 10_000);
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    let code: number | null = null;
    let message = "";
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) code = Number(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) message = decodeURIComponent(String(h["grpc-message"]));
    };
    req.on("response", take);
    req.on("trailers", take);
    req.on("data", () => {});
    req.on("error", () => {});
    req.on("close", () => {
      clearTimeout(timer);
      session.close();
      resolve({ code, message });
    });
    for (const f of frames) req.write(f);
    req.end();
  });
}

const frame = (payload: Uint8Array, compressed = false, claimedLength = payload.length) => {
  const head = Buffer.alloc(5);
  head.writeUInt8(compressed ? 1 : 0, 0);
  head.writeUInt32BE(claimedLength, 1);
  return Buffer.concat([head, payload]);
};

/** Framing abuse gets a clean code; UNIMPLEMENTED is gRPC's answer to a unary call with 0 or 2 messages and to an unknown encoding. */
const transportCodes = new Set([...cleanCodes, grpc.status.UNIMPLEMENTED]);

async function checkRaw(name: string, path: string, frames: Buffer[], headers?: Record<string, string>): Promise<RawAnswer> {
  const before = await snapshot(db);
  const answer = await rawCall(path, frames, headers);
  expect(answer.code !== null && transportCodes.has(answer.code), `${name}: ${answer.code === null ? "no status" : grpc.status[answer.code]} ${answer.message}`).toBe(true);
  if (answer.code !== grpc.status.OK) expect(await snapshot(db), `${name}: nothing written`).toEqual(before);
  return answer;
}

describe("gRPC framing abuse over raw HTTP/2", () => {
  const createWarehouse = InventoryServiceService.createWarehouse.path;
  const valid = () => Buffer.from(CreateWarehouseRequest.encode({ warehouseId: unique("raw"), displayName: "", region: "" }).finish());

  it("the hand-written client is understood: one valid message is served", async () => {
    expect(await checkRaw("one message", createWarehouse, [frame(valid())])).toMatchObject({ code: grpc.status.OK });
  });

  it("a unary call with no message, two messages, a short frame or an unknown path gets a clean code and writes nothing", async () => {
    expect((await checkRaw("no message", createWarehouse, [])).code).toBe(grpc.status.UNIMPLEMENTED);
    expect((await checkRaw("two messages", createWarehouse, [frame(valid()), frame(valid())])).code).toBe(grpc.status.UNIMPLEMENTED);
    await checkRaw("a frame shorter than its length prefix", createWarehouse, [frame(valid(), false, 1_000)]);
    await checkRaw("a length prefix past the limit", createWarehouse, [frame(valid(), false, 0xffffffff)]);
    expect((await checkRaw("unknown method", "/inventory.v1.InventoryService/DropEverything", [frame(valid())])).code).toBe(grpc.status.UNIMPLEMENTED);
    await expectHealthy();
  });

  it("compression: an unknown encoding is UNIMPLEMENTED and a gzip bomb past 4 MiB is RESOURCE_EXHAUSTED", async () => {
    expect((await checkRaw("unknown encoding", createWarehouse, [frame(valid(), true)], { "grpc-encoding": "snappy" })).code).toBe(grpc.status.UNIMPLEMENTED);
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect((await checkRaw("gzip bomb", createWarehouse, [frame(bomb, true)], { "grpc-encoding": "gzip" })).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // A well-compressed valid message is served.
    expect((await checkRaw("gzip", createWarehouse, [frame(gzipSync(valid()), true)], { "grpc-encoding": "gzip" })).code).toBe(grpc.status.OK);
    await expectHealthy();
  });

  // Reported, not a Stockhold bug to fix in src/: grpc-js itself answers INTERNAL ("Failed to
  // decompress message", "Invalid grpc-timeout value") before any handler or server interceptor
  // runs (server-interceptors.js, BaseServerInterceptingCall). Nothing is written and the server
  // stays healthy. Remove `.fails` if grpc-js starts answering these INVALID_ARGUMENT.
  it.fails("grpc-js: a corrupt gzip message or a malformed grpc-timeout is answered INTERNAL", async () => {
    const before = await snapshot(db);
    const answers = [
      await rawCall(createWarehouse, [frame(Buffer.from("not gzip at all"), true)], { "grpc-encoding": "gzip" }),
      await rawCall(createWarehouse, [frame(valid())], { "grpc-timeout": "soon" }),
    ];
    expect(await snapshot(db)).toEqual(before);
    await expectHealthy();
    expect(answers.map((a) => (a.code === null ? "none" : grpc.status[a.code]))).toEqual(["INVALID_ARGUMENT", "INVALID_ARGUMENT"]);
  });

  it("leaves the books consistent", async () => {
    expect(await checkInvariants(db)).toEqual(noViolations);
  });
});
