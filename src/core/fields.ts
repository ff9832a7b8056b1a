// Pure validators of request fields. Each returns the parsed value or a FieldViolation.
import type { FieldViolation } from "./failure.js";
import { requestIdLengthMax, skuLengthMax, unitsMax, warehouseIdLengthMax } from "../limits.js";

export type Parsed<T> = { value: T } | { violation: FieldViolation };

const printableAscii = /^[\x21-\x7e]+$/;
const printableAsciiWithSpace = /^[\x20-\x7e]+$/;
const warehouseIdPattern = /^[A-Za-z0-9._-]+$/;
const int64Pattern = /^-?\d{1,19}$/;

function violation(field: string, reason: FieldViolation["reason"], description: string): { violation: FieldViolation } {
  return { violation: { field, reason, description } };
}

export function requestId(field: string, raw: string): Parsed<string> {
  if (raw === "") return violation(field, "FIELD_REQUIRED", "is required (1-64 printable ASCII characters; a UUID is recommended)");
  if (raw.length > requestIdLengthMax) return violation(field, "FIELD_OUT_OF_RANGE", `must be at most ${requestIdLengthMax} characters`);
  if (!printableAsciiWithSpace.test(raw)) return violation(field, "FIELD_MALFORMED", "must be printable ASCII");
  return { value: raw };
}

export function sku(field: string, raw: string): Parsed<string> {
  if (raw === "") return violation(field, "FIELD_REQUIRED", "is required");
  if (raw.length > skuLengthMax) return violation(field, "FIELD_OUT_OF_RANGE", `must be at most ${skuLengthMax} characters`);
  if (!printableAscii.test(raw)) return violation(field, "FIELD_MALFORMED", "must be printable ASCII without spaces");
  return { value: raw };
}

/** A warehouse id that must be present. */
export function warehouseId(field: string, raw: string): Parsed<string> {
  if (raw === "") return violation(field, "FIELD_REQUIRED", "is required");
  return optionalWarehouseId(field, raw) as Parsed<string>;
}

/** A warehouse id that may be empty (meaning "any" or "all"). */
export function optionalWarehouseId(field: string, raw: string): Parsed<string | null> {
  if (raw === "") return { value: null };
  if (raw.length > warehouseIdLengthMax) return violation(field, "FIELD_OUT_OF_RANGE", `must be at most ${warehouseIdLengthMax} characters`);
  if (!warehouseIdPattern.test(raw)) return violation(field, "FIELD_MALFORMED", "must contain only A-Z, a-z, 0-9, '.', '_' and '-'");
  return { value: raw };
}

/** Free text up to a length; `required` rejects the empty string. */
export function text(field: string, raw: string, lengthMax: number, required: boolean): Parsed<string> {
  if (required && raw === "") return violation(field, "FIELD_REQUIRED", "is required");
  if (raw.length > lengthMax) return violation(field, "FIELD_OUT_OF_RANGE", `must be at most ${lengthMax} characters`);
  // Control characters break logs and CSV exports of these labels.
  if (/[\x00-\x1f\x7f]/.test(raw)) return violation(field, "FIELD_MALFORMED", "must not contain control characters");
  return { value: raw };
}

/**
 * An int64 (sent as a decimal string by the generated code) within [min, unitsMax].
 * Values beyond the named limit are rejected rather than silently clamped.
 */
export function units(field: string, raw: string, min: number): Parsed<number> {
  if (!int64Pattern.test(raw)) return violation(field, "FIELD_MALFORMED", "must be an integer");
  const big = BigInt(raw);
  if (big < BigInt(min)) return violation(field, "FIELD_OUT_OF_RANGE", min === 1 ? "must be positive" : `must be at least ${min}`);
  if (big > BigInt(unitsMax)) return violation(field, "FIELD_OUT_OF_RANGE", `must be at most ${unitsMax}`);
  return { value: Number(big) };
}

/** A signed, non-zero int64 whose magnitude is at most unitsMax. */
export function signedDelta(field: string, raw: string): Parsed<number> {
  if (!int64Pattern.test(raw)) return violation(field, "FIELD_MALFORMED", "must be an integer");
  const big = BigInt(raw);
  if (big === 0n) return violation(field, "FIELD_OUT_OF_RANGE", "must not be 0");
  const magnitude = big < 0n ? -big : big;
  if (magnitude > BigInt(unitsMax)) return violation(field, "FIELD_OUT_OF_RANGE", `must be between -${unitsMax} and ${unitsMax}`);
  return { value: Number(big) };
}

/** A google.protobuf.Duration (seconds as an int64 string, nanos) within [minMs, maxMs]. */
export function duration(field: string, raw: { seconds: string; nanos: number }, minMs: number, maxMs: number): Parsed<number> {
  if (!int64Pattern.test(raw.seconds) || !Number.isInteger(raw.nanos) || Math.abs(raw.nanos) > 999_999_999) {
    return violation(field, "FIELD_MALFORMED", "must be a valid duration");
  }
  const seconds = BigInt(raw.seconds);
  if (seconds < 0n || raw.nanos < 0) return violation(field, "FIELD_OUT_OF_RANGE", "must not be negative");
  const ms = seconds > BigInt(maxMs) ? maxMs + 1 : Number(seconds) * 1000 + Math.floor(raw.nanos / 1_000_000);
  if (ms < minMs || ms > maxMs) return violation(field, "FIELD_OUT_OF_RANGE", `must be between ${minMs / 1000} s and ${maxMs / 1000} s`);
  return { value: ms };
}

/**
 * Collects violations while parsing a request: `take` returns the parsed value, or undefined
 * after recording the violation, so a command parser reads top to bottom.
 */
export class ViolationCollector {
  readonly violations: FieldViolation[] = [];

  take<T>(parsed: Parsed<T>): T | undefined {
    if ("violation" in parsed) {
      this.violations.push(parsed.violation);
      return undefined;
    }
    return parsed.value;
  }

  add(field: string, reason: FieldViolation["reason"], description: string): void {
    this.violations.push({ field, reason, description });
  }
}
