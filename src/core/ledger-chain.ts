// Verifies the ledger's hash chain and replay for one stock level. Pure: the entries come in,
// findings go out. The encoding matches the database's ledger_entry_content(), written again
// here on purpose, so a tampered SQL function cannot vouch for itself.
import { createHash } from "node:crypto";

/** One ledger entry as stored, every field in its canonical text form. */
export interface StoredEntry {
  seq: string;
  epochMicros: string;
  kind: string;
  sku: string;
  warehouseId: string;
  onHandDelta: string;
  reservedDelta: string;
  onHandAfter: string;
  reservedAfter: string;
  reservationId: string;
  requestId: string;
  payload: string;
  prevHash: Buffer;
  hash: Buffer;
}

export type ChainProblem = "hash_mismatch" | "broken_link" | "replay_mismatch" | "head_mismatch" | "count_mismatch" | "counter_mismatch";

export interface Finding { sku: string; warehouseId: string; seq: string | null; problem: ChainProblem; detail: string }

export const genesisHash = Buffer.alloc(32);

export function entryContent(e: StoredEntry): Buffer {
  const fields = [
    e.seq, e.epochMicros, e.kind, e.sku, e.warehouseId, e.onHandDelta, e.reservedDelta, e.onHandAfter, e.reservedAfter,
    e.reservationId, e.requestId, e.payload,
  ];
  return Buffer.from(fields.map((f) => `${Buffer.byteLength(f, "utf8")}:${f}`).join(";"), "utf8");
}

export function entryHash(prev: Buffer, e: StoredEntry): Buffer {
  return createHash("sha256").update(prev).update(entryContent(e)).digest();
}

/** Where a chain walk stands between pages of entries. */
export interface ChainCursor { hash: Buffer; count: number; onHand: bigint; reserved: bigint }

export const chainStart = (): ChainCursor => ({ hash: genesisHash, count: 0, onHand: 0n, reserved: 0n });

/** Walks the next entries of one stock level (in seq order), returning the new cursor and findings. */
export function walkChain(cursor: ChainCursor, entries: StoredEntry[]): { cursor: ChainCursor; findings: Finding[] } {
  const findings: Finding[] = [];
  let { hash, count, onHand, reserved } = cursor;
  for (const e of entries) {
    const at = { sku: e.sku, warehouseId: e.warehouseId, seq: e.seq };
    if (!e.prevHash.equals(hash)) findings.push({ ...at, problem: "broken_link", detail: "prev_hash is not the hash of the entry before it: an entry was deleted, inserted or reordered" });
    if (!entryHash(e.prevHash, e).equals(e.hash)) findings.push({ ...at, problem: "hash_mismatch", detail: "the entry's content does not match its hash: it was edited" });
    onHand += BigInt(e.onHandDelta);
    reserved += BigInt(e.reservedDelta);
    if (onHand !== BigInt(e.onHandAfter) || reserved !== BigInt(e.reservedAfter)) {
      findings.push({ ...at, problem: "replay_mismatch", detail: `replay gives on_hand ${onHand}, reserved ${reserved}; the entry says ${e.onHandAfter}, ${e.reservedAfter}` });
    }
    hash = e.hash;
    count++;
  }
  return { cursor: { hash, count, onHand, reserved }, findings };
}

/** Compares a finished walk with the chain head and the counters the database holds. */
export function finishChain(
  key: { sku: string; warehouseId: string },
  cursor: ChainCursor,
  head: { head: Buffer; count: number } | null,
  counters: { onHand: bigint; reserved: bigint } | null,
): Finding[] {
  const findings: Finding[] = [];
  const at = { ...key, seq: null };
  const expectedHead = head ?? { head: genesisHash, count: 0 };
  if (!expectedHead.head.equals(cursor.hash)) findings.push({ ...at, problem: "head_mismatch", detail: "the last entry is not the chain head: entries were deleted at the end or forged" });
  if (expectedHead.count !== cursor.count) findings.push({ ...at, problem: "count_mismatch", detail: `the chain counts ${expectedHead.count} entries, the ledger holds ${cursor.count}` });
  const c = counters ?? { onHand: 0n, reserved: 0n };
  if (c.onHand !== cursor.onHand || c.reserved !== cursor.reserved) {
    findings.push({ ...at, problem: "counter_mismatch", detail: `counters on_hand ${c.onHand}, reserved ${c.reserved}; ledger replay ${cursor.onHand}, ${cursor.reserved}` });
  }
  return findings;
}
