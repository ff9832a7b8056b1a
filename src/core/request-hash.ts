// A stable fingerprint of a validated command, to tell a retry from a reused request id.
import { createHash } from "node:crypto";

/** JSON with object keys sorted, so the same command always serializes the same way. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(method: string, command: unknown): string {
  return createHash("sha256").update(method).update("\n").update(canonicalJson(command)).digest("hex");
}
