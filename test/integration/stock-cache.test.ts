// A batch on cached stock levels skips its read, and must still answer exactly as a read would:
// stale levels (another writer, another warehouse), an answered request id and an expired hold
// all send it back to a read. Against the real database, through the batch engine.
import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { reserveBatch, type BatchResult } from "../../src/app/reserve-batch.js";
import { StockCache } from "../../src/app/stock-cache.js";
import { InFlightUnits } from "../../src/app/in-flight-units.js";
import { stockKey } from "../../src/core/stock.js";
import { onRealPostgres } from "../support/database.js";
import { lockStockRows } from "../support/faults/database.js";
import { waitUntil } from "../support/faults/process.js";
import type { ReserveCommand } from "../../src/core/commands.js";
import { useTestServer } from "../support/harness.js";
import { ManualClock } from "../support/clock.js";
import { availability, newRequestId, newWarehouse, stockedSku } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";

if (!onRealPostgres()) console.log("test/integration/stock-cache: one test skipped, it holds a row lock from a second connection, and the embedded database takes one");

const clock = new ManualClock();
const { db, server } = useTestServer(clock);

const order = (sku: string, quantity: number, over: Partial<ReserveCommand> = {}): ReserveCommand => ({
  requestId: randomUUID(), orderId: `o-${randomUUID()}`, customerId: "c", channel: "web", priority: "STANDARD",
  allowPartial: false, waitForStock: false, ttlMs: null, lines: [{ sku, quantity, warehouseId: null }], ...over,
});

const reserve = async (cache: StockCache, ...commands: ReserveCommand[]): Promise<BatchResult[]> =>
  reserveBatch(db.orm, clock, commands, { stockCache: cache });

const warehouseOf = (r: BatchResult) => (r.ok ? r.response.reservation?.lines[0]?.warehouseId : r.failure.reason);

describe("reserveBatch on cached stock levels", () => {
  it("decides a batch on a SKU it just wrote without reading it, with the same counters and ledger as a read", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const cache = new StockCache(100);
    await reserve(cache, order(sku, 2));
    expect(cache.hits).toBe(0);
    const results = await reserve(cache, order(sku, 3), order(sku, 1, { priority: "VIP" }));
    expect(cache.hits).toBe(1);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(await availability(server, sku, warehouseId)).toEqual({ onHand: 10, reserved: 6, available: 4 });
    const entries = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ledger_entry WHERE sku = ? AND kind = 'RESERVE'`, [sku]);
    expect(entries[0]!.n).toBe("3");
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("grants in full on a SKU of one warehouse that another writer changed, without reading it again, while the units are there", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const cache = new StockCache(100, 16);
    await reserve(cache, order(sku, 1));
    // Another writer (another process, say) moves the level on; the cache still shows 10 on hand.
    await server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: "20" });
    const results = [...await reserve(cache, order(sku, 2)), ...await reserve(cache, order(sku, 3))];
    // Both decided on the cache: the level was not taken for stale.
    expect([cache.hits, cache.misses]).toEqual([2, 1]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(await availability(server, sku, warehouseId)).toEqual({ onHand: 20, reserved: 6, available: 14 });
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it.skipIf(!onRealPostgres())("decides a batch on a cached SKU of one warehouse while another batch is still writing it, and writes right behind it", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const cache = new StockCache(100, 16);
    const inFlight = new InFlightUnits();
    const run = (...commands: ReserveCommand[]) => reserveBatch(db.orm, clock, commands, { stockCache: cache, inFlight });
    await run(order(sku, 1));
    const reads = vi.spyOn(cache, "read");
    // Another client holds the row, so the first batch's write waits in the database.
    const held = await lockStockRows(db, sku);
    const claimedUnits = () => inFlight.pending(stockKey({ sku, warehouseId }), 0);
    const first = run(order(sku, 4));
    await waitUntil(() => claimedUnits() > 0, 2_000, 10);
    expect(claimedUnits()).toBe(4);
    const second = run(order(sku, 5));
    // Both batches decided and waiting in the database: both claims are out.
    await waitUntil(() => claimedUnits() >= 9, 2_000, 10);
    expect(claimedUnits()).toBe(9);
    await held.release();
    const results = [...await first, ...await second];
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    // Both on the cache: the second counted the first's units and did not read.
    expect(reads).not.toHaveBeenCalled();
    expect(await availability(server, sku, warehouseId)).toEqual({ onHand: 10, reserved: 10, available: 0 });
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("refuses as a read would when another writer took the units the cache still shows", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const cache = new StockCache(100);
    await reserve(cache, order(sku, 1));
    await server.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: "2" });
    const [refused] = await reserve(cache, order(sku, 2));
    expect(cache.hits).toBe(1);
    expect(refused!.ok ? "granted" : refused!.failure.reason).toBe("INSUFFICIENT_STOCK");
    expect(await availability(server, sku, warehouseId)).toEqual({ onHand: 2, reserved: 1, available: 1 });
  });

  it("picks the warehouse a read would pick when a level it does not write has changed", async () => {
    const a = await stockedSku(server, 10);
    const b = await newWarehouse(server);
    await server.inventory.setStock({ requestId: newRequestId(), sku: a.sku, warehouseId: b, onHand: "5" });
    const cache = new StockCache(100);
    expect(warehouseOf((await reserve(cache, order(a.sku, 1)))[0]!)).toBe(a.warehouseId);
    // The cache still says 9 in A and 5 in B; B now has the most.
    await server.inventory.setStock({ requestId: newRequestId(), sku: a.sku, warehouseId: b, onHand: "100" });
    expect(warehouseOf((await reserve(cache, order(a.sku, 1)))[0]!)).toBe(b);
    expect(cache.hits).toBe(1);
  });

  it("picks the warehouse a read would pick when the level it would write has changed but still has the units", async () => {
    const a = await stockedSku(server, 10);
    const b = await newWarehouse(server);
    await server.inventory.setStock({ requestId: newRequestId(), sku: a.sku, warehouseId: b, onHand: "5" });
    const cache = new StockCache(100);
    expect(warehouseOf((await reserve(cache, order(a.sku, 1)))[0]!)).toBe(a.warehouseId);
    // The cache still says 9 in A; A now has 2 (enough for the order, so no guard fails), B has 5.
    await server.inventory.setStock({ requestId: newRequestId(), sku: a.sku, warehouseId: a.warehouseId, onHand: "3" });
    expect(warehouseOf((await reserve(cache, order(a.sku, 1)))[0]!)).toBe(b);
    expect(cache.hits).toBe(1);
  });

  it("picks the warehouse a read would pick when the SKU was stocked in a new warehouse since it was cached", async () => {
    const a = await stockedSku(server, 10);
    const cache = new StockCache(100);
    expect(warehouseOf((await reserve(cache, order(a.sku, 1)))[0]!)).toBe(a.warehouseId);
    // The cache knows only A (9 left); B, stocked now, has the most.
    const b = await newWarehouse(server);
    await server.inventory.setStock({ requestId: newRequestId(), sku: a.sku, warehouseId: b, onHand: "100" });
    expect(warehouseOf((await reserve(cache, order(a.sku, 1)))[0]!)).toBe(b);
    expect(cache.hits).toBe(1);
  });

  it("replays the stored answer of a request id answered before, instead of reserving again", async () => {
    const { sku, warehouseId } = await stockedSku(server, 10);
    const cache = new StockCache(100);
    const first = order(sku, 2);
    const [original] = await reserve(cache, first);
    const [again] = await reserve(cache, { ...first });
    expect(cache.hits).toBe(1);
    expect(again!.ok && again!.response.reservation?.reservationId).toBe(original!.ok && original!.response.reservation?.reservationId);
    expect(await availability(server, sku, warehouseId)).toEqual({ onHand: 10, reserved: 2, available: 8 });
  });

  it("releases a hold that has expired on the SKU before reserving, as a read does", async () => {
    const { sku, warehouseId } = await stockedSku(server, 2);
    const cache = new StockCache(100);
    const [hold] = await reserve(cache, order(sku, 1, { ttlMs: 1_000 }));
    clock.advance(1_000);
    const [next] = await reserve(cache, order(sku, 1));
    expect(cache.hits).toBe(1);
    expect(next!.ok).toBe(true);
    expect(await availability(server, sku, warehouseId)).toEqual({ onHand: 2, reserved: 1, available: 1 });
    const [expired] = await db.query<{ state: string; release_reason: string }>(
      `SELECT state, release_reason FROM reservation WHERE reservation_id = ?`, [hold!.ok && hold!.response.reservation?.reservationId]);
    expect(expired).toEqual({ state: "RELEASED", release_reason: "EXPIRED" });
  });
});
