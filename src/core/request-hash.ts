// A stable fingerprint of a validated command, to tell a retry from a reused request id.
import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted, so the same command always serializes the same way. Its output
 * is part of every stored request hash: it must never change (a test holds it to the first
 * definition). Loops rather than entries/filter/map: it runs for every request.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      // As Array.prototype.join: an element with no JSON form (undefined) is written as nothing.
      out += (i > 0 ? "," : "") + (canonicalJson(value[i]) ?? "");
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, as a < b does.
  const keys = Object.keys(record).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

export function requestHash(method: string, command: unknown): string {
  return createHash("sha256").update(method).update("\n").update(canonicalJson(command)).digest("hex");
}
