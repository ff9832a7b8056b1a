// Waiting orders and receipts racing on one SKU: every unit is accounted for and none is stranded.
import { expect, it } from "vitest";
import { useTestServer } from "../support/harness.js";
import { AdjustmentReason, Priority, newRequestId, reserveRequest, stockedSku } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";

// Independent HTTP/2 connections, as separate checkout instances would open.
const { db, server, clients } = useTestServer(undefined, { connections: 8 });

it("200 concurrent waiting reservations and 50 concurrent receipts on one SKU account for every unit", async () => {
  const { sku, warehouseId } = await stockedSku(server, 0);
  // Deterministic sizes: demand 400 units, receipts 300, so some demand must still wait.
  const orders = Array.from({ length: 200 }, (_, i) => ({ quantity: 1 + (i % 3), vip: i % 7 === 0 }));
  const receipts = Array.from({ length: 50 }, (_, i) => 2 + (i % 5) * 2);
  const demand = orders.reduce((s, o) => s + o.quantity, 0);
  const received = receipts.reduce((s, r) => s + r, 0);
  const calls = [
    ...orders.map((o, i) => () => clients[i % clients.length]!.reservations.reserve(reserveRequest([{ sku, quantity: o.quantity, warehouseId }], {
      waitForStock: true, priority: o.vip ? Priority.PRIORITY_VIP : Priority.PRIORITY_STANDARD,
    }))),
    ...receipts.map((units, i) => () => clients[i % clients.length]!.inventory.adjustStock({
      requestId: newRequestId(), sku, warehouseId, delta: String(units), reason: AdjustmentReason.ADJUSTMENT_REASON_RECEIPT,
    })),
  ];
  // Interleave receipts among the orders.
  const order = calls.map((call, i) => ({ call, key: (i * 7919) % calls.length })).sort((a, b) => a.key - b.key);
  const results = await Promise.allSettled(order.map((o) => o.call()));
  expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);

  const [totals] = await db.query<{ on_hand: string; reserved: string; line_reserved: string; line_waiting: string; line_requested: string; ledger_reserved: string }>(`
    SELECT s.on_hand, s.reserved,
           (SELECT sum(l.reserved) FROM reservation_line l JOIN reservation r USING (reservation_id) WHERE l.sku = s.sku AND r.state = 'ACTIVE') AS line_reserved,
           (SELECT sum(l.waiting) FROM reservation_line l WHERE l.sku = s.sku AND l.live) AS line_waiting,
           (SELECT sum(l.requested) FROM reservation_line l WHERE l.sku = s.sku) AS line_requested,
           (SELECT sum(reserved_delta) FROM ledger_entry WHERE sku = s.sku) AS ledger_reserved
      FROM stock_level s WHERE s.sku = ?`, [sku]);
  expect(Number(totals!.on_hand)).toBe(received);
  expect(Number(totals!.line_requested)).toBe(demand);
  // Demand exceeds supply, and waiting orders get every unit as it arrives: none is left over.
  expect(Number(totals!.reserved)).toBe(received);
  expect(Number(totals!.line_reserved)).toBe(received);
  expect(Number(totals!.ledger_reserved)).toBe(received);
  expect(Number(totals!.line_waiting)).toBe(demand - received);
  expect(await checkInvariants(db)).toEqual(noViolations);
});
