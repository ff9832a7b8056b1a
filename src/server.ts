// Assembles the gRPC server: the inventory.v1 services, reflection and health on one port.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import { InventoryApp } from "./app/inventory.js";
import { ReservationApp } from "./app/reservations.js";
import { systemClock, type Clock } from "./app/clock.js";
import type { Orm } from "./db/orm.js";
import { InventoryServiceService } from "./gen/inventory/v1/inventory_service.js";
import { ReservationServiceService } from "./gen/inventory/v1/reservation_service.js";
import { BufferServiceService } from "./gen/inventory/v1/buffer_service.js";
import { BufferApp } from "./app/buffers.js";
import { bufferHandlers } from "./grpc/buffer-handlers.js";
import { inventoryHandlers, reservationHandlers } from "./grpc/handlers.js";
import { addReflection } from "./grpc/reflection.js";
import { tolerantDecoding } from "./grpc/tolerant-decoding.js";
import { reuseRememberedEncodings } from "./grpc/remembered-encoding.js";
import { RowLockingReservationApp } from "./app/row-locking-reserve.js";
import { reserveStrategyFrom, type ReserveStrategy } from "./config.js";
import {
  databaseProbeIntervalMs, databaseProbeTimeoutMs, expirySweepIntervalMs, grpcReceiveMessageBytesMax, reconcileIntervalMs, shutdownDrainMsMax,
} from "./limits.js";
import { startPeriodicJob } from "./app/periodic-job.js";
import { startDatabaseProbe } from "./app/database-health.js";
import { ownConnectionPing, poolPing } from "./db/probe-connection.js";
import { reconcile } from "./app/reconciler.js";

export const imagePath = fileURLToPath(new URL("./gen/image.binpb", import.meta.url));

const servedServices = ["inventory.v1.InventoryService", "inventory.v1.ReservationService", "inventory.v1.BufferService"] as const;

export interface RunningServer {
  /** host:port the server listens on. */
  address: string;
  port: number;
  /** Stops accepting calls, drains in-flight ones (bounded), and reports NOT_SERVING meanwhile. */
  shutdown(): Promise<void>;
}

export interface ServerOptions {
  orm: Orm;
  logger: Logger;
  host: string;
  port: number;
  clock?: Clock;
  /** Milliseconds between expiry sweeps; null runs none (tests sweep by hand). */
  sweepIntervalMs?: number | null;
  /** Milliseconds between reconciliation runs; null runs none. */
  reconcileEveryMs?: number | null;
  /** How Reserve guards stock; absent reads STOCKHOLD_RESERVE_STRATEGY (default `coalesced`). */
  reserveStrategy?: ReserveStrategy;
  /**
   * The database the health probe opens a connection of its own to; null probes through the
   * ORM's pool (the embedded database, which takes one connection). See src/db/probe-connection.ts.
   */
  databaseProbeUrl?: string | null;
}

/** Registers the health service, keeping its open Watch streams so a shutdown can close them. */
function addHealthTrackingWatchers(server: grpc.Server, health: HealthImplementation): Set<grpc.ServerWritableStream<unknown, unknown>> {
  const open = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  health.addToServer({
    addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) {
      const watch = implementation.watch as grpc.handleServerStreamingCall<unknown, unknown>;
      server.addService(definition, {
        ...implementation,
        watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
          open.add(call);
          const forget = () => open.delete(call);
          call.on("cancelled", forget);
          call.on("finish", forget);
          watch(call);
        },
      });
    },
  } as unknown as grpc.Server);
  return open;
}

/** Requests that do not decode reach the handler (answered INVALID_ARGUMENT); stored answers go out as stored. */
const serviceCodec = <D extends grpc.ServiceDefinition>(definition: D): D => tolerantDecoding(reuseRememberedEncodings(definition));

export async function startServer({
  orm, logger, host, port, clock = systemClock, sweepIntervalMs = expirySweepIntervalMs, reconcileEveryMs = reconcileIntervalMs,
  reserveStrategy = reserveStrategyFrom(), databaseProbeUrl = null,
}: ServerOptions): Promise<RunningServer> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": grpcReceiveMessageBytesMax });
  const reservations = reserveStrategy === "row-locking" ? new RowLockingReservationApp(orm, clock)
    : new ReservationApp(orm, clock, { coalesce: reserveStrategy === "coalesced" });
  server.addService(serviceCodec(InventoryServiceService), inventoryHandlers(new InventoryApp(orm, clock), logger));
  server.addService(serviceCodec(ReservationServiceService), reservationHandlers(reservations, logger));
  server.addService(serviceCodec(BufferServiceService), bufferHandlers(new BufferApp(orm, clock), logger));
  addReflection(server, imagePath);
  const health = new HealthImplementation(Object.fromEntries(["", ...servedServices].map((s) => [s, "SERVING" as const])));
  const watchers = addHealthTrackingWatchers(server, health);

  const boundPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  const address = `${host}:${boundPort}`;
  logger.info({ address, reserveStrategy }, "gRPC server listening");
  const jobs = [
    ...(sweepIntervalMs === null ? [] : [startPeriodicJob("expiry sweep", logger, sweepIntervalMs, async () => {
      const released = await reservations.sweepExpired();
      if (released > 0) logger.info({ released }, "expired holds released");
    })]),
    ...(reconcileEveryMs === null ? [] : [startPeriodicJob("reconciliation", logger, reconcileEveryMs, async () => {
      const report = await reconcile(orm, clock);
      logger.info({ accuracy: report.accuracy, stockLevels: report.stockLevels, repaired: report.repaired.length, unexplained: report.unexplained.length }, "reconciliation run");
    })]),
    startDatabaseProbe(databaseProbeUrl === null ? poolPing(orm) : ownConnectionPing(databaseProbeUrl, databaseProbeTimeoutMs), logger, databaseProbeIntervalMs, databaseProbeTimeoutMs, (serving) => {
      for (const s of ["", ...servedServices]) health.setStatus(s, serving ? "SERVING" : "NOT_SERVING");
    }),
  ];

  return {
    address,
    port: boundPort,
    async shutdown() {
      // Jobs first, so the database probe cannot report SERVING again while we drain.
      for (const job of jobs) await job.stop();
      for (const s of ["", ...servedServices]) health.setStatus(s, "NOT_SERVING");
      // Watch streams never end by themselves and would hold the drain: they have seen
      // NOT_SERVING now, so close them.
      for (const call of watchers) call.end();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          logger.warn("drain timed out; cancelling in-flight calls");
          server.forceShutdown();
          resolve();
        }, shutdownDrainMsMax);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
