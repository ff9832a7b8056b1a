// Turns failures into gRPC statuses. Only deliberate errors reach clients with their details;
// anything else becomes INTERNAL with a generic message, and is logged.
import { Metadata, status, type ServiceError as GrpcServiceError } from "@grpc/grpc-js";
import { ServiceError, type ErrorReason, type Failure } from "../core/failure.js";
import { encodeStatus } from "./status-details.js";

export const errorDomain = "stockhold.inventory.v1";

/** Exhaustive: a new reason cannot ship without a status code. */
export const statusOfReason: Record<ErrorReason, status> = {
  FIELD_REQUIRED: status.INVALID_ARGUMENT,
  FIELD_MALFORMED: status.INVALID_ARGUMENT,
  FIELD_OUT_OF_RANGE: status.INVALID_ARGUMENT,
  DUPLICATE_SKU_LINE: status.INVALID_ARGUMENT,
  TOO_MANY_LINES: status.INVALID_ARGUMENT,
  REQUEST_ID_REUSED: status.INVALID_ARGUMENT,
  PAGE_TOKEN_INVALID: status.INVALID_ARGUMENT,
  SKU_NOT_FOUND: status.NOT_FOUND,
  WAREHOUSE_NOT_FOUND: status.NOT_FOUND,
  RESERVATION_NOT_FOUND: status.NOT_FOUND,
  WAREHOUSE_EXISTS: status.ALREADY_EXISTS,
  INSUFFICIENT_STOCK: status.FAILED_PRECONDITION,
  INSUFFICIENT_ON_HAND: status.FAILED_PRECONDITION,
  ALREADY_RELEASED: status.FAILED_PRECONDITION,
  NOTHING_HELD: status.FAILED_PRECONDITION,
  HOLD_EXPIRED: status.FAILED_PRECONDITION,
  NO_TTL: status.FAILED_PRECONDITION,
  STOCK_LEVEL_NOT_FOUND: status.NOT_FOUND,
  PROPOSAL_NOT_FOUND: status.NOT_FOUND,
  PROPOSAL_DECIDED: status.FAILED_PRECONDITION,
  DATABASE_UNAVAILABLE: status.UNAVAILABLE,
  DATABASE_BUSY: status.UNAVAILABLE,
  TRANSACTION_CONFLICT: status.ABORTED,
  MALFORMED_REQUEST: status.INVALID_ARGUMENT,
  OVERLOADED: status.RESOURCE_EXHAUSTED,
  CANCELLED: status.CANCELLED,
  INTERNAL: status.INTERNAL,
};

export function toGrpcError(failure: Failure): Partial<GrpcServiceError> {
  const code = statusOfReason[failure.reason];
  const metadata = new Metadata();
  metadata.set(
    "grpc-status-details-bin",
    encodeStatus({
      code,
      message: failure.message,
      errorInfo: { reason: failure.reason, domain: errorDomain, metadata: failure.metadata ?? {} },
      fieldViolations: failure.violations?.map((v) => ({ field: v.field, description: v.description, reason: v.reason })),
    }),
  );
  return { code, details: failure.message, metadata };
}

/** The failure to send for any thrown value. */
export function failureOf(error: unknown): Failure {
  if (error instanceof ServiceError) return error.failure;
  return { reason: "INTERNAL", message: "internal error; the call may be retried with the same request_id" };
}
