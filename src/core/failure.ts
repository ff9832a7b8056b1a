// Expected failures are values: the core returns them, the shell throws them as one error type,
// and the gRPC layer maps each reason to exactly one status code.

/** A field of the request that broke a rule (google.rpc.BadRequest.FieldViolation). */
export interface FieldViolation {
  field: string;
  description: string;
  reason: ErrorReason;
}

/** Why a call failed; sent as google.rpc.ErrorInfo.reason. */
export type ErrorReason =
  | "FIELD_REQUIRED"
  | "FIELD_MALFORMED"
  | "FIELD_OUT_OF_RANGE"
  | "DUPLICATE_SKU_LINE"
  | "TOO_MANY_LINES"
  | "REQUEST_ID_REUSED"
  | "PAGE_TOKEN_INVALID"
  | "SKU_NOT_FOUND"
  | "WAREHOUSE_NOT_FOUND"
  | "RESERVATION_NOT_FOUND"
  | "WAREHOUSE_EXISTS"
  | "INSUFFICIENT_STOCK"
  | "INSUFFICIENT_ON_HAND"
  | "ALREADY_RELEASED"
  | "NOTHING_HELD"
  | "HOLD_EXPIRED"
  | "NO_TTL"
  | "STOCK_LEVEL_NOT_FOUND"
  | "PROPOSAL_NOT_FOUND"
  | "PROPOSAL_DECIDED"
  | "DATABASE_UNAVAILABLE"
  | "DATABASE_BUSY"
  | "TRANSACTION_CONFLICT"
  | "MALFORMED_REQUEST"
  | "OVERLOADED"
  | "CANCELLED"
  | "INTERNAL";

export interface Failure {
  reason: ErrorReason;
  message: string;
  /** ErrorInfo metadata: string keys and values only. */
  metadata?: Record<string, string>;
  violations?: FieldViolation[];
}

/** The thrown form of a Failure, caught and translated by the gRPC layer. */
export class ServiceError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
    this.name = "ServiceError";
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(failure: Failure): Result<T> => ({ ok: false, failure });

/** Unwraps a Result in the shell, where a failure ends the call. */
export function orThrow<T>(result: Result<T>): T {
  if (!result.ok) throw new ServiceError(result.failure);
  return result.value;
}

export function invalid(violations: FieldViolation[]): Failure {
  const first = violations[0];
  if (!first) throw new Error("invalid() needs at least one violation");
  return {
    reason: first.reason,
    message: violations.map((v) => `${v.field}: ${v.description}`).join("; "),
    metadata: { field: first.field },
    violations,
  };
}
