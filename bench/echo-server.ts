// The transport's limit: a grpc-js server implementing inventory.v1.ReservationService/Reserve
// (and ReleaseReservation, for the mixed scenario, and BatchReserve, for the batch scenario) that
// decodes each request like the real server and answers a canned, pre-encoded response of
// realistic size, touching no database.
// Run by bench/main.ts: `GRPC_PORT=... node --import tsx bench/echo-server.ts`.
import * as grpc from "@grpc/grpc-js";
import { Priority, ReservationState, ReleaseReason, type Reservation } from "../src/gen/inventory/v1/reservation.js";
import { BatchReserveResponse, ReleaseReservationResponse, ReserveResponse, ReservationServiceService } from "../src/gen/inventory/v1/reservation_service.js";
import { grpcReceiveMessageBytesMax } from "../src/limits.js";
import { batchReservationsPerCall } from "./scenarios.js";

const time = new Date("2026-12-01T12:00:00Z");
const reservation: Reservation = {
  reservationId: "00000000-0000-4000-8000-000000000000",
  orderId: "L00-w0-0",
  customerId: "bench",
  channel: "bench",
  priority: Priority.PRIORITY_STANDARD,
  state: ReservationState.RESERVATION_STATE_ACTIVE,
  releaseReason: ReleaseReason.RELEASE_REASON_UNSPECIFIED,
  lines: [{ sku: "L00-12345", warehouseId: "bench-L00", requestedQuantity: "1", reservedQuantity: "1", waitingQuantity: "0" }],
  createTime: time,
  updateTime: time,
  waitForStock: false,
  summary: "L00-12345: 1 of 1 reserved in bench-L00.",
};
const reserveAnswer = Buffer.from(ReserveResponse.encode({ reservation }).finish());
const releaseAnswer = Buffer.from(ReleaseReservationResponse.encode({
  reservation: { ...reservation, state: ReservationState.RESERVATION_STATE_RELEASED, releaseReason: ReleaseReason.RELEASE_REASON_CANCELLED },
}).finish());

// One result per request of the batch scenario, whatever the request holds (like the rest, canned).
const batchAnswer = Buffer.from(BatchReserveResponse.encode({
  results: Array.from({ length: batchReservationsPerCall }, () => ({ reservation })),
}).finish());

const passThrough = (b: Buffer): Buffer => b;
const service = {
  reserve: { ...ReservationServiceService.reserve, responseSerialize: passThrough },
  releaseReservation: { ...ReservationServiceService.releaseReservation, responseSerialize: passThrough },
  batchReserve: { ...ReservationServiceService.batchReserve, responseSerialize: passThrough },
} as unknown as grpc.ServiceDefinition;

const server = new grpc.Server({ "grpc.max_receive_message_length": grpcReceiveMessageBytesMax });
server.addService(service, {
  reserve: (_call: grpc.ServerUnaryCall<unknown, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, reserveAnswer),
  releaseReservation: (_call: grpc.ServerUnaryCall<unknown, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, releaseAnswer),
  batchReserve: (_call: grpc.ServerUnaryCall<unknown, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, batchAnswer),
});
const host = process.env.GRPC_HOST ?? "127.0.0.1";
const port = Number(process.env.GRPC_PORT ?? "0");
server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
  if (error) {
    console.error(error);
    process.exit(1);
  }
  console.error(`echo server listening on ${host}:${bound}`);
});
const stop = () => server.tryShutdown(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
