// A real gRPC server on 127.0.0.1 over a test database, and promise-returning clients for it.
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { startServer, type RunningServer } from "../../src/server.js";
import type { Orm } from "../../src/db/orm.js";
import type { Clock } from "../../src/app/clock.js";
import { InventoryServiceClient, type InventoryServiceServer } from "../../src/gen/inventory/v1/inventory_service.js";
import { ReservationServiceClient, type ReservationServiceServer } from "../../src/gen/inventory/v1/reservation_service.js";
import { BufferServiceClient, type BufferServiceServer } from "../../src/gen/inventory/v1/buffer_service.js";
import { decodeStatus, type StatusDetails } from "../../src/grpc/status-details.js";
import { onRealPostgres } from "./database.js";

type Callback<Res> = (error: grpc.ServiceError | null, response: Res) => void;

/** The unary methods of a service as promise-returning functions (keys from the server interface), with optional call options (a deadline). */
export type Promised<S> = {
  [K in keyof S as string extends K ? never : K]: S[K] extends grpc.handleUnaryCall<infer Req, infer Res> ? (request: Req, options?: grpc.CallOptions) => Promise<Res> : never;
};

function promised<S>(client: grpc.Client): Promised<S> {
  return new Proxy(client, {
    get(target, property) {
      const method = (target as unknown as Record<string | symbol, unknown>)[property];
      if (typeof method !== "function") return method;
      return (request: unknown, options: grpc.CallOptions = {}) =>
        new Promise((resolve, reject) => {
          (method as (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: Callback<unknown>) => void)
            .call(target, request, new grpc.Metadata(), options, (error, response) => (error ? reject(error) : resolve(response)));
        });
    },
  }) as unknown as Promised<S>;
}

export interface TestServer {
  address: string;
  inventory: Promised<InventoryServiceServer>;
  reservations: Promised<ReservationServiceServer>;
  buffers: Promised<BufferServiceServer>;
  /** A new connection, for tests that want many independent clients. */
  connect(): { inventory: Promised<InventoryServiceServer>; reservations: Promised<ReservationServiceServer>; buffers: Promised<BufferServiceServer>; close(): void };
  stop(): Promise<void>;
}

/** A server on 127.0.0.1; no expiry sweeper runs unless asked, so tests sweep when they choose. */
export async function startTestServer(orm: Orm, clock?: Clock, sweepIntervalMs: number | null = null): Promise<TestServer> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? "silent" });
  // Probed as main.ts probes it: on a connection of its own, except the embedded database.
  const databaseProbeUrl = onRealPostgres() ? String(orm.config.get("clientUrl")) : null;
  const running: RunningServer = await startServer({ orm, logger, host: "127.0.0.1", port: 0, clock, sweepIntervalMs, reconcileEveryMs: null, databaseProbeUrl });
  const opened: grpc.Client[] = [];
  const connect = () => {
    const credentials = grpc.credentials.createInsecure();
    const inventory = new InventoryServiceClient(running.address, credentials);
    const reservations = new ReservationServiceClient(running.address, credentials);
    const buffers = new BufferServiceClient(running.address, credentials);
    opened.push(inventory, reservations, buffers);
    return {
      inventory: promised<InventoryServiceServer>(inventory),
      reservations: promised<ReservationServiceServer>(reservations),
      buffers: promised<BufferServiceServer>(buffers),
      close() {
        inventory.close();
        reservations.close();
        buffers.close();
      },
    };
  };
  const main = connect();
  return {
    address: running.address,
    inventory: main.inventory,
    reservations: main.reservations,
    buffers: main.buffers,
    connect,
    async stop() {
      for (const c of opened) c.close();
      await running.shutdown();
    },
  };
}

export interface RejectedCall { code: grpc.status; details: string; status: StatusDetails }

/** Awaits a call that must fail and returns its status with decoded ErrorInfo/BadRequest. */
export async function rejection(promise: Promise<unknown>): Promise<RejectedCall> {
  try {
    await promise;
  } catch (error) {
    const e = error as grpc.ServiceError;
    const bin = e.metadata?.get("grpc-status-details-bin")[0];
    if (!bin) throw new Error(`call failed without status details: ${e.code} ${e.details}`);
    return { code: e.code, details: e.details, status: decodeStatus(bin as Buffer) };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
