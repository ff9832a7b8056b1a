// The database refuses what the service must never do, even when the service code is bypassed.
import { describe, expect, it } from "vitest";
import { reserveRequest, stockedSku } from "../support/fixtures.js";
import { useTestServer } from "../support/harness.js";

const { db, server } = useTestServer();

describe("schema invariants", () => {
  it("updates stock levels and chain heads in place (heap-only), leaving their indexes alone", async () => {
    const warehouseId = `wh-hot-${Date.now()}`;
    await db.query(`INSERT INTO warehouse (warehouse_id, create_time) VALUES (?, now())`, [warehouseId]);
    // Enough rows to fill many pages, written after the migration: pages keep room for updates.
    await db.query(
      `INSERT INTO ledger_entry (entry_time, kind, sku, warehouse_id, on_hand_delta, reserved_delta, on_hand_after, reserved_after, request_id)
       SELECT now(), 'SET_STOCK', 'HOT-' || g, ?, 10, 0, 10, 0, 'seed' FROM generate_series(1, 3000) g`, [warehouseId]);
    await db.query(`INSERT INTO stock_level (sku, warehouse_id, on_hand, update_time) SELECT 'HOT-' || g, ?, 10, now() FROM generate_series(1, 3000) g`, [warehouseId]);
    const counts = await db.orm.em.fork().transactional(async (em) => {
      // Every fourth row: a busy transaction touches a few rows of a page, not all of them.
      const some = `warehouse_id = ? AND substr(sku, 5)::int % 4 = 0`;
      await em.execute(`UPDATE stock_level SET reserved = 1, version = version + 1 WHERE ${some}`, [warehouseId]);
      await em.execute(`UPDATE ledger_chain SET entry_count = entry_count + 1 WHERE ${some}`, [warehouseId]);
      return em.execute<{ stock: string; chain: string }[]>(
        `SELECT pg_stat_get_xact_tuples_hot_updated('stock_level'::regclass) AS stock, pg_stat_get_xact_tuples_hot_updated('ledger_chain'::regclass) AS chain`);
    });
    // At the default fillfactor only the rows of the last, part-full page would be updated in place.
    expect(Number(counts[0]!.stock)).toBeGreaterThan(700);
    expect(Number(counts[0]!.chain)).toBeGreaterThan(700);
  });

  it("the ledger refuses UPDATE, DELETE and TRUNCATE", async () => {
    const { sku } = await stockedSku(server, 3);
    await expect(db.query(`UPDATE ledger_entry SET on_hand_delta = 99 WHERE sku = ?`, [sku])).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM ledger_entry WHERE sku = ?`, [sku])).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE ledger_entry`)).rejects.toThrow(/append-only/);
    expect(await db.query(`SELECT on_hand_delta FROM ledger_entry WHERE sku = ?`, [sku])).toEqual([{ on_hand_delta: "3" }]);
  });

  it.each([
    ["reserved above on_hand", "reserved = on_hand + 1", /stock_level_reserved_within_on_hand/],
    ["negative reserved", "reserved = -1", /stock_level_reserved_nonnegative/],
    ["negative on_hand", "on_hand = -1", /stock_level_on_hand_nonnegative|stock_level_reserved_within_on_hand/],
    ["negative safety buffer", "safety_buffer = -1", /stock_level_safety_buffer_nonnegative/],
  ])("stock_level refuses %s", async (_name, assignment, constraint) => {
    const { sku } = await stockedSku(server, 3);
    await expect(db.query(`UPDATE stock_level SET ${assignment} WHERE sku = ?`, [sku])).rejects.toThrow(constraint);
  });

  it("a reservation line cannot hold more than it requested", async () => {
    const { sku } = await stockedSku(server, 3);
    await server.reservations.reserve(reserveRequest([{ sku, quantity: 2 }]));
    await expect(db.query(`UPDATE reservation_line SET reserved = requested + 1 WHERE sku = ?`, [sku])).rejects.toThrow(/reservation_line_reserved_within_requested/);
  });

  it("a request id belongs to one reservation only", async () => {
    const { sku } = await stockedSku(server, 3);
    const request = reserveRequest([{ sku, quantity: 1 }]);
    await server.reservations.reserve(request);
    await expect(
      db.query(`INSERT INTO reservation (reservation_id, request_id, order_id, priority, state, create_time, update_time)
                VALUES (gen_random_uuid(), ?, 'o', 'STANDARD', 'ACTIVE', now(), now())`, [request.requestId]),
    ).rejects.toThrow(/duplicate key/);
  });
});
