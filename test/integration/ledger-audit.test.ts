// The ledger's hash chain detects tampering by a superuser; reconciliation repairs what it can
// explain by appending entries and raises an alert for the rest.
import { describe, expect, it } from "vitest";
import { AdjustmentReason, newRequestId, reserveRequest, stockedSku } from "../support/fixtures.js";
import { checkInvariants } from "../support/invariants.js";
import { verifyLedger } from "../../src/app/ledger-audit.js";
import { reconcile } from "../../src/app/reconciler.js";
import { systemClock } from "../../src/app/clock.js";
import { ReleaseReason } from "../../src/gen/inventory/v1/reservation.js";
import { useTestServer } from "../support/harness.js";
import { readLedgerPage } from "../../src/db/audit-repository.js";
import { entryContent, entryHash } from "../../src/core/ledger-chain.js";

const { db, server } = useTestServer();

/** A SKU with a short history: count, receipt, reserve, ship. */
async function history(): Promise<{ sku: string; warehouseId: string }> {
  const key = await stockedSku(server, 10);
  await server.inventory.adjustStock({ requestId: newRequestId(), ...key, delta: "5", reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT });
  const { reservation } = await server.reservations.reserve(reserveRequest([{ ...key, quantity: 3 }]));
  await server.reservations.releaseReservation({ requestId: newRequestId(), reservationId: reservation!.reservationId, reason: ReleaseReason.RELEASE_REASON_SHIPPED });
  await server.reservations.reserve(reserveRequest([{ ...key, quantity: 2 }]));
  return key;
}

/** Runs SQL as the superuser with the ledger's append-only trigger out of the way, as an attacker would. */
async function tamper(sql: string, params: unknown[]): Promise<void> {
  await db.orm.em.fork().transactional(async (em) => {
    await em.execute(`SET LOCAL session_replication_role = replica`);
    await em.execute(sql, params);
  });
}

const problemsFor = async (sku: string) => (await verifyLedger(db.orm)).findings.filter((f) => f.sku === sku).map((f) => f.problem);

describe("ledger audit", () => {
  it("finds an untouched ledger intact, its chain and replay agreeing with the counters", async () => {
    const { sku } = await history();
    expect(await problemsFor(sku)).toEqual([]);
    const entries = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ledger_entry WHERE sku = ?`, [sku]);
    expect(Number(entries[0]!.n)).toBe(5);
  });

  it("chains entries of several stock levels written by one statement, even interleaved, as if written one by one", async () => {
    const a = await stockedSku(server, 10);
    const b = await stockedSku(server, 10, a.warehouseId);
    // A, B, A, B, A in one statement: the chain of each must pick up where the other left it.
    await db.query(
      `INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta, on_hand_after, reserved_after, request_id, payload)
       SELECT now(), 'ADJUST_STOCK', CASE WHEN i % 2 = 1 THEN ? ELSE ? END, ?, 0, 0, 10, 0, 'interleaved', '{}'::jsonb
         FROM generate_series(1, 5) AS i ORDER BY i`,
      [a.sku, b.sku, a.warehouseId],
    );
    // And a failed statement leaves no trace in the chain: the next one links to the real head.
    await expect(db.query(
      `INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta, on_hand_after, reserved_after, request_id, payload)
       SELECT now(), CASE WHEN i = 2 THEN 'NOT_A_KIND' ELSE 'ADJUST_STOCK' END, ?, ?, 0, 0, 10, 0, 'failing', '{}'::jsonb FROM generate_series(1, 2) AS i`,
      [a.sku, a.warehouseId],
    )).rejects.toThrow();
    await server.inventory.adjustStock({ requestId: newRequestId(), ...a, delta: "1", reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT });
    for (const key of [a, b]) {
      const [chain] = await db.query<{ entry_count: string; head_is_last: boolean; entries: string }>(
        `SELECT c.entry_count, c.head = (SELECT hash FROM ledger_entry WHERE sku = c.sku AND warehouse_id = c.warehouse_id ORDER BY seq DESC LIMIT 1) AS head_is_last,
                (SELECT count(*) FROM ledger_entry WHERE sku = c.sku AND warehouse_id = c.warehouse_id) AS entries
           FROM ledger_chain c WHERE c.sku = ? AND c.warehouse_id = ?`, [key.sku, key.warehouseId]);
      expect(chain!.head_is_last).toBe(true);
      expect(chain!.entry_count).toBe(chain!.entries);
      const links = await db.query<{ linked: boolean }>(
        `SELECT prev_hash = coalesce(lag(hash) OVER (ORDER BY seq), decode(repeat('00', 32), 'hex')) AS linked FROM ledger_entry WHERE sku = ? AND warehouse_id = ? ORDER BY seq`,
        [key.sku, key.warehouseId]);
      expect(links.every((l) => l.linked)).toBe(true);
      expect(await problemsFor(key.sku)).toEqual([]);
    }
  });

  it("walks a stock level's entries in numeric seq order when their seqs cross a power of ten", async () => {
    // Jump the sequence to just below the next power of ten, so this stock level's entries get
    // seqs like 98, 99, 100, 101: in text order 100 would come before 98.
    await db.query(`SELECT setval(pg_get_serial_sequence('ledger_entry', 'seq'), (10 ^ ceil(log(max(seq) + 3)))::bigint - 3) FROM ledger_entry`);
    const key = await stockedSku(server, 10);
    for (let i = 0; i < 3; i++) await server.inventory.adjustStock({ requestId: newRequestId(), ...key, delta: "1", reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT });
    const seqs = (await db.query<{ seq: string }>(`SELECT seq FROM ledger_entry WHERE sku = ? ORDER BY seq`, [key.sku])).map((r) => r.seq.length);
    expect(new Set(seqs).size, "the entries' seqs have different numbers of digits").toBe(2);
    expect(await problemsFor(key.sku)).toEqual([]);
  });

  it("detects an edited entry", async () => {
    const { sku } = await history();
    await tamper(`UPDATE ledger_entry SET reserved_delta = reserved_delta + 1, reserved_after = reserved_after + 1 WHERE seq = (SELECT max(seq) FROM ledger_entry WHERE sku = ?)`, [sku]);
    expect(await problemsFor(sku)).toContain("hash_mismatch");
  });

  it("detects a deleted entry in the middle and at the end", async () => {
    const middle = await history();
    await tamper(`DELETE FROM ledger_entry WHERE seq = (SELECT min(seq) + 1 FROM ledger_entry WHERE sku = ?)`, [middle.sku]);
    expect(await problemsFor(middle.sku)).toEqual(expect.arrayContaining(["broken_link", "count_mismatch"]));
    const end = await history();
    await tamper(`DELETE FROM ledger_entry WHERE seq = (SELECT max(seq) FROM ledger_entry WHERE sku = ?)`, [end.sku]);
    expect(await problemsFor(end.sku)).toEqual(expect.arrayContaining(["head_mismatch", "count_mismatch"]));
  });

  it("detects an inserted entry even when its own hash is computed correctly", async () => {
    const { sku, warehouseId } = await history();
    // A forger who knows the hash rule but cannot move the chain head.
    await tamper(
      `INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta, on_hand_after, reserved_after, request_id, payload, prev_hash, hash)
       SELECT now(), 'ADJUST_STOCK', ?, ?, 0, 0, on_hand, reserved, 'forged', '{}'::jsonb, head, head FROM stock_level JOIN ledger_chain USING (sku, warehouse_id)
        WHERE sku = ? AND warehouse_id = ?`, [sku, warehouseId, sku, warehouseId]);
    await tamper(`UPDATE ledger_entry SET hash = sha256(prev_hash || ledger_entry_content(ledger_entry)) WHERE request_id = 'forged'`, []);
    expect(await problemsFor(sku)).toEqual(expect.arrayContaining(["head_mismatch", "count_mismatch"]));
  });
});

describe("reconciliation", () => {
  it("reports full accuracy and repairs nothing on consistent books", async () => {
    await history();
    const before = await reconcile(db.orm, systemClock);
    // Earlier tests in this file tampered with ledgers: count only this run's verdict on fresh data.
    const fresh = await history();
    const report = await reconcile(db.orm, systemClock);
    expect(report.repaired.filter((r) => r.sku === fresh.sku)).toEqual([]);
    expect(report.unexplained.filter((r) => r.sku === fresh.sku)).toEqual([]);
    expect(report.stockLevels).toBe(before.stockLevels + 1);
  });

  it("restores a drifted reserved counter that the ledger and the ACTIVE lines agree on, by appending an entry", async () => {
    const { sku, warehouseId } = await history();
    await db.query(`UPDATE stock_level SET reserved = reserved + 3 WHERE sku = ?`, [sku]);
    const report = await reconcile(db.orm, systemClock);
    expect(report.repaired).toContainEqual({ sku, warehouseId, action: "reserved 5 -> 2" });
    expect(report.accuracy).toBeLessThan(1);
    const [level] = await db.query<{ reserved: string }>(`SELECT reserved FROM stock_level WHERE sku = ?`, [sku]);
    expect(level!.reserved).toBe("2");
    const entries = await db.query<{ kind: string }>(`SELECT kind FROM ledger_entry WHERE sku = ? ORDER BY seq DESC LIMIT 1`, [sku]);
    expect(entries[0]!.kind).toBe("RECONCILE");
    expect(await problemsFor(sku)).toEqual([]);
  });

  it("raises a COUNTER_DRIFT alert for an on_hand drift it cannot explain, and leaves the counters alone", async () => {
    const { sku } = await history();
    await db.query(`UPDATE stock_level SET on_hand = on_hand + 4 WHERE sku = ?`, [sku]);
    const report = await reconcile(db.orm, systemClock);
    expect(report.unexplained.map((u) => u.sku)).toContain(sku);
    const alerts = await db.query<{ kind: string }>(`SELECT kind FROM alert WHERE sku = ?`, [sku]);
    expect(alerts.map((a) => a.kind)).toEqual(["COUNTER_DRIFT"]);
    const [level] = await db.query<{ on_hand: string }>(`SELECT on_hand FROM stock_level WHERE sku = ?`, [sku]);
    expect(level!.on_hand).toBe("16");
  });

  it("hashes multi-byte text, NULL reservation ids and many entries of one statement exactly as the audit's own encoding does", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    // Entries straight into the ledger (inserts are allowed; only the trigger computes hashes):
    // one with a reservation id and payload of multi-byte text, one with neither, in one statement.
    await db.query(
      `INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reservation_id, request_id, payload)
       SELECT now(), 'ADJUST_STOCK', ?, ?, 0, 0, 10, 0, r, 'req-' || g, p::jsonb
         FROM (VALUES (1, gen_random_uuid(), '{"note": "Größe €5 — 東京", "n": 1.50}'), (2, NULL::uuid, '{}')) AS v(g, r, p)`,
      [sku, warehouseId],
    );
    const entries = await readLedgerPage(db.orm.em.fork(), { sku, warehouseId }, "0", 100);
    const sqlContent = await db.query<{ content: Buffer }>(`SELECT ledger_entry_content(e) AS content FROM ledger_entry e WHERE sku = ? ORDER BY seq`, [sku]);
    // The SET_STOCK entry, then the two above.
    expect(entries.map((e) => [e.kind, e.reservationId === ""])).toEqual([["SET_STOCK", true], ["ADJUST_STOCK", false], ["ADJUST_STOCK", true]]);
    expect(Buffer.byteLength(entries[1]!.payload)).toBeGreaterThan(entries[1]!.payload.length);
    for (const [i, e] of entries.entries()) {
      expect(entryHash(e.prevHash, e).equals(e.hash)).toBe(true);
      expect(Buffer.from(sqlContent[i]!.content).equals(entryContent(e))).toBe(true);
    }
    expect(await problemsFor(sku)).toEqual([]);
  });

  it("records each run with its accuracy", async () => {
    await reconcile(db.orm, systemClock);
    const runs = await db.query<{ accuracy: number; stock_levels: string }>(`SELECT accuracy, stock_levels FROM reconciliation_run ORDER BY finish_time DESC LIMIT 1`);
    expect(runs[0]!.accuracy).toBeGreaterThan(0);
    expect(runs[0]!.accuracy).toBeLessThanOrEqual(1);
  });
});

it("keeps the service's own books consistent: no violations on stock levels nobody tampered with", async () => {
  const { sku } = await history();
  const report = await checkInvariants(db);
  const mine = (rows: unknown[]) => rows.filter((m) => (m as { sku: string }).sku === sku);
  expect([mine(report.reservedMismatches), mine(report.counterViolations), mine(report.ledgerMismatches)]).toEqual([[], [], []]);
  expect(await problemsFor(sku)).toEqual([]);
});
