// The one place that maps database errors to domain failures.
import { ServiceError } from "../core/failure.js";

const connectionErrorCodes = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH",
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, connection failures.
  "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004",
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; cause?: unknown };
  if (typeof e.code === "string") return e.code;
  return codeOf(e.cause);
}

/** A deadlock or serialization failure: the transaction rolled back and may simply run again. */
export function isTransientConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === "40P01" || code === "40001";
}

export type RunAgainReason = "guard-failed" | "answered-meanwhile" | "holds-expired";

/** Why a batch write undid itself (stockhold_run_again): the database moved on since its read. */
export function runAgainReason(error: unknown): RunAgainReason | null {
  const code = codeOf(error);
  return code === "SH001" ? "guard-failed" : code === "SH002" ? "answered-meanwhile" : code === "SH003" ? "holds-expired" : null;
}

export function isUniqueViolation(error: unknown): boolean {
  return codeOf(error) === "23505";
}

function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  if (code && connectionErrorCodes.has(code)) return true;
  const message = error instanceof Error ? error.message : "";
  // "Transaction query already complete": knex's answer when the connection died under BEGIN;
  // nothing was committed.
  return /Knex: Timeout acquiring a connection|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|Transaction query already complete/i.test(message);
}

/** lock_timeout or statement_timeout: the database was too busy to answer in time. */
function isTimeout(error: unknown): boolean {
  const code = codeOf(error);
  return code === "55P03" || code === "57014";
}

/** Rethrows a database error as a ServiceError the gRPC layer can map; other errors pass unchanged. */
export function translateDatabaseError(error: unknown): never {
  if (error instanceof ServiceError) throw error;
  if (isConnectionError(error)) {
    throw new ServiceError({ reason: "DATABASE_UNAVAILABLE", message: "the database is unreachable; retry with the same request_id" });
  }
  if (isTimeout(error)) {
    throw new ServiceError({ reason: "DATABASE_BUSY", message: "the database did not answer in time (a lock or statement timeout); retry with the same request_id" });
  }
  if (isTransientConflict(error)) {
    throw new ServiceError({ reason: "TRANSACTION_CONFLICT", message: "the transaction kept conflicting with concurrent ones; retry with the same request_id" });
  }
  throw error;
}
