// Shared by the fuzz tests: a fingerprint of every table (to prove a rejected call wrote
// nothing), the rule for a clean answer, and hostile value generators.
import fc from "fast-check";
import * as grpc from "@grpc/grpc-js";
import type { TestDatabase } from "../support/database.js";
import { decodeStatus, type StatusDetails } from "../../src/grpc/status-details.js";

let snapshotSql: string | null = null;

/**
 * Row count and an md5 of the rows of every table in the public schema, in one statement.
 * Identity sequences are left out: a rolled-back insert may advance them, which is no write.
 */
export async function snapshot(db: TestDatabase): Promise<Record<string, string>> {
  if (!snapshotSql) {
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`);
    if (tables.length === 0) throw new Error("no tables to snapshot");
    snapshotSql = `SELECT ${tables
      .map(({ table_name: t }) => `(SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM "${t}" x) AS "${t}"`)
      .join(", ")}`;
  }
  const [row] = await db.query<Record<string, string>>(snapshotSql);
  return row!;
}

export interface Answer {
  code: grpc.status;
  details: string;
  /** Decoded grpc-status-details-bin, when sent. */
  status: StatusDetails | null;
}

export const answerOf = (error: grpc.ServiceError | null): Answer => {
  if (!error) return { code: grpc.status.OK, details: "", status: null };
  const bin = error.metadata?.get("grpc-status-details-bin")[0];
  return { code: error.code, details: error.details, status: bin ? decodeStatus(bin as Buffer) : null };
};

/** Codes a healthy service may answer a hostile request with. */
export const cleanCodes = new Set([
  grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.ALREADY_EXISTS,
  grpc.status.FAILED_PRECONDITION, grpc.status.OUT_OF_RANGE, grpc.status.RESOURCE_EXHAUSTED,
]);

export const describeAnswer = (a: Answer): string => `${grpc.status[a.code]}${a.status?.errorInfo ? `/${a.status.errorInfo.reason}` : ""}: ${a.details.slice(0, 200)}`;

// ---- hostile values -------------------------------------------------------------------------

const specialStrings = [
  "", " ", "a", "\u0000", "a\u0000b", "\t", "\n", "%", "_", "*", "\\", "'", "\"", "'; DROP TABLE stock_level; --", "$1", "?",
  "\u202e", "\ufeff", "\ud83d\ude00", "\u00df", "\u0130", "\ufffd", "\u{10ffff}", "x".repeat(64), "x".repeat(65), "x".repeat(128),
  "x".repeat(129), "x".repeat(201), "\u00e9".repeat(100), "A".repeat(10_000),
];

/** Strings of every kind: empty, NUL, SQL and LIKE metacharacters, unicode, just past each length limit, very long. */
export const hostileString = (...known: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...specialStrings) },
    { weight: 2, arbitrary: fc.string({ maxLength: 70 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 70 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 70 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 1_000, maxLength: 20_000 }) },
    ...(known.length ? [{ weight: 4, arbitrary: fc.constantFrom(...known) }] : []),
  );

const int64Max = 2n ** 63n - 1n;
/** Decimal int64 strings (the generated code's form): edges, limits, the 2^53 boundary, anything in range. */
export const int64 = (...known: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "0", "1", "-1", "2", "100", "999999999999", "1000000000000", "1000000000001", "-1000000000000", "-1000000000001",
        "4294967296", "9007199254740991", "9007199254740992", "9007199254740993", String(int64Max), String(-int64Max - 1n), String(int64Max - 1n),
      ),
    },
    { weight: 2, arbitrary: fc.bigInt({ min: -int64Max - 1n, max: int64Max }).map(String) },
    { weight: 2, arbitrary: fc.integer({ min: -5, max: 50 }).map(String) },
    ...(known.length ? [{ weight: 1, arbitrary: fc.constantFrom(...known) }] : []),
  );

/** int32 values for enum and page-size fields: defined values, unknown ones, the edges. */
export const int32 = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -2, max: 7 }) },
  { weight: 1, arbitrary: fc.constantFrom(-2147483648, 2147483647, 1000, 501, 500, 499) },
  { weight: 1, arbitrary: fc.integer({ min: -2147483648, max: 2147483647 }) },
);

/** google.protobuf.Duration, or absent: negative, nanos out of range, huge seconds, the ttl limits. */
export const duration = fc.option(
  fc.record({
    seconds: fc.oneof(int64(), fc.constantFrom("0", "1", "604800", "604801", "31536000", "31536001")),
    nanos: fc.oneof(fc.integer({ min: -2147483648, max: 2147483647 }), fc.constantFrom(0, 999_999_999, 1_000_000_000, -1)),
  }),
  { nil: undefined },
);

export const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
