// gRPC clients for a server address that never throw: every call settles to an Outcome (the
// answer, or the status with its decoded ErrorInfo), with a deadline, and can be cancelled.
import * as grpc from "@grpc/grpc-js";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { InventoryServiceClient } from "../../../src/gen/inventory/v1/inventory_service.js";
import { ReservationServiceClient } from "../../../src/gen/inventory/v1/reservation_service.js";
import { decodeStatus, type StatusDetails } from "../../../src/grpc/status-details.js";

export type Failed = {
  ok: false;
  code: grpc.status;
  details: string;
  /** ErrorInfo.reason when the server sent status details; null for transport-level failures. */
  reason: string | null;
  status: StatusDetails | null;
};
export type Outcome<T> = { ok: true; value: T } | Failed;

type Callback<Res> = (error: grpc.ServiceError | null, response: Res) => void;
export type Starter<Res> = (metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: Callback<Res>) => grpc.ClientUnaryCall;

export function failedOf(error: grpc.ServiceError): Failed {
  const bin = error.metadata?.get("grpc-status-details-bin")[0];
  const status = bin ? decodeStatus(bin as Buffer) : null;
  return { ok: false, code: error.code, details: error.details, reason: status?.errorInfo?.reason ?? null, status };
}

export interface InFlight<Res> {
  call: grpc.ClientUnaryCall;
  outcome: Promise<Outcome<Res>>;
}

/** Starts a unary call with a deadline (ms from now; none when absent). */
export function start<Res>(starter: Starter<Res>, deadlineMs?: number): InFlight<Res> {
  let call!: grpc.ClientUnaryCall;
  const outcome = new Promise<Outcome<Res>>((resolve) => {
    const options: Partial<grpc.CallOptions> = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    call = starter(new grpc.Metadata(), options, (error, response) => resolve(error ? failedOf(error) : { ok: true, value: response }));
  });
  return { call, outcome };
}

/** Runs a unary call to its outcome. */
export const settle = <Res>(starter: Starter<Res>, deadlineMs?: number): Promise<Outcome<Res>> => start(starter, deadlineMs).outcome;

export interface Clients {
  inventory: InventoryServiceClient;
  reservations: ReservationServiceClient;
  health: grpc.Client;
  close(): void;
}

/** One HTTP/2 connection per call to connect(), as separate client processes would open. */
/** Connections a test file opens as it goes and closes together at the end. */
export function clientSet(): { open(address: string): Clients; closeAll(): void } {
  const opened: Clients[] = [];
  return {
    open(address) {
      const c = connect(address);
      opened.push(c);
      return c;
    },
    closeAll() {
      for (const c of opened.splice(0)) c.close();
    },
  };
}

export function connect(address: string): Clients {
  const credentials = grpc.credentials.createInsecure();
  // A fresh channel each time: no subchannel sharing, no reconnect backoff from an earlier server.
  const options = { "grpc.use_local_subchannel_pool": 1, "grpc.initial_reconnect_backoff_ms": 100, "grpc.max_reconnect_backoff_ms": 500 };
  const inventory = new InventoryServiceClient(address, credentials, options);
  const reservations = new ReservationServiceClient(address, credentials, options);
  const health = new grpc.Client(address, credentials, options);
  return {
    inventory,
    reservations,
    health,
    close() {
      inventory.close();
      reservations.close();
      health.close();
    },
  };
}

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export const servingStatus = { 0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN" } as const;
export type ServingStatus = (typeof servingStatus)[keyof typeof servingStatus];

const encodeHealthRequest = (service: string): Buffer => Buffer.from(new BinaryWriter().uint32(10).string(service).finish());
function decodeHealthResponse(bytes: Buffer): ServingStatus {
  const r = new BinaryReader(bytes);
  let value = 0;
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1) value = r.int32();
    else r.skip(wireType);
  }
  return servingStatus[value as keyof typeof servingStatus] ?? "UNKNOWN";
}

/** grpc.health.v1.Health/Check; a failed call comes back as its Failed outcome. */
export function healthCheck(clients: Clients, service = "", deadlineMs = 2_000): Promise<Outcome<ServingStatus>> {
  return settle<ServingStatus>((metadata, options, callback) =>
    clients.health.makeUnaryRequest("/grpc.health.v1.Health/Check", encodeHealthRequest, decodeHealthResponse, service, metadata, options,
      (error, value) => callback(error, value ?? "UNKNOWN")),
    deadlineMs);
}

/** grpc.health.v1.Health/Watch: every status the server streams, until cancel(). */
export function healthWatch(clients: Clients, service = ""): { statuses: ServingStatus[]; ended: Promise<grpc.StatusObject | Error>; cancel(): void } {
  const statuses: ServingStatus[] = [];
  const stream = clients.health.makeServerStreamRequest("/grpc.health.v1.Health/Watch", encodeHealthRequest, decodeHealthResponse, service);
  stream.on("data", (s: ServingStatus) => statuses.push(s));
  const ended = new Promise<grpc.StatusObject | Error>((resolve) => {
    stream.on("status", resolve);
    stream.on("error", resolve);
  });
  return { statuses, ended, cancel: () => stream.cancel() };
}
