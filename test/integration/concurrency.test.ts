// Many clients racing for the same rows through the real gRPC server: no oversell, no deadlock.
import { describe, expect, it } from "vitest";
import { status, type ServiceError } from "@grpc/grpc-js";
import { useTestServer } from "../support/harness.js";
import { availability, reserveRequest, stockedSku } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { laneOf } from "../../src/app/reserve-coalescer.js";
import { coalesceLaneCount } from "../../src/limits.js";

// Independent HTTP/2 connections, as separate checkout instances would open.
const { db, server, clients } = useTestServer(undefined, { connections: 8 });

describe("concurrent reservations", () => {
  it("500 concurrent reserves of 1 unit against on_hand 100 reserve exactly 100 units", async () => {
    const { sku, warehouseId } = await stockedSku(server, 100);
    const results = await Promise.allSettled(
      Array.from({ length: 500 }, (_, i) => clients[i % clients.length]!.reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }]))),
    );
    const granted = results.filter((r) => r.status === "fulfilled");
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as ServiceError] : []));
    expect(granted).toHaveLength(100);
    expect(refused).toHaveLength(400);
    expect(new Set(refused.map((e) => e.code))).toEqual(new Set([status.FAILED_PRECONDITION]));
    expect(await availability(server, sku, warehouseId)).toEqual({ onHand: 100, reserved: 100, available: 0 });
    const [ledger] = await db.query<{ entries: string; units: string }>(
      `SELECT count(*) AS entries, sum(reserved_delta) AS units FROM ledger_entry WHERE sku = ? AND kind = 'RESERVE'`, [sku]);
    expect(ledger).toEqual({ entries: "100", units: "100" });
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  // With 400 calls waiting, the SKU gets a lane of its own (the unit tests prove the grouping);
  // here the point is the outcome with both lanes writing it.
  it("a flash sale on one SKU of a shared lane reserves exactly its units while the other SKUs of that lane are all served", async () => {
    const hot = await stockedSku(server, 100);
    // SKUs of the hot SKU's shared lane: before the move they queue behind it.
    const others: { sku: string; warehouseId: string }[] = [];
    while (others.length < 10) {
      const level = await stockedSku(server, 5, hot.warehouseId);
      if (laneOf(level.sku, coalesceLaneCount) === laneOf(hot.sku, coalesceLaneCount)) others.push(level);
    }
    const calls = Array.from({ length: 400 }, (_, i) => ({ level: hot, client: clients[i % clients.length]! }));
    others.forEach((level, i) => calls.splice(i * 40, 0, ...Array.from({ length: 5 }, () => ({ level, client: clients[i % clients.length]! }))));
    const results = await Promise.allSettled(calls.map(({ level, client }) => client.reservations.reserve(reserveRequest([{ ...level, quantity: 1 }]))));
    const outcome = (sku: string) => results.filter((_, i) => calls[i]!.level.sku === sku).map((r) => r.status);
    expect(outcome(hot.sku).filter((s) => s === "fulfilled")).toHaveLength(100);
    for (const level of others) expect(outcome(level.sku)).toEqual(Array(5).fill("fulfilled"));
    expect(await availability(server, hot.sku, hot.warehouseId)).toEqual({ onHand: 100, reserved: 100, available: 0 });
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("multi-line orders over overlapping SKUs in opposite orders finish without deadlocks", async () => {
    const a = await stockedSku(server, 10_000);
    const b = await stockedSku(server, 10_000, a.warehouseId);
    const c = await stockedSku(server, 10_000, a.warehouseId);
    const orders = Array.from({ length: 150 }, (_, i) => {
      const lines = [{ sku: a.sku, quantity: 1 }, { sku: b.sku, quantity: 2 }, { sku: c.sku, quantity: 3 }];
      return i % 2 === 0 ? lines : [...lines].reverse();
    });
    const results = await Promise.allSettled(orders.map((lines, i) => clients[i % clients.length]!.reservations.reserve(reserveRequest(lines))));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String((r.reason as ServiceError).details)] : []));
    expect(failures).toEqual([]);
    expect((await availability(server, a.sku)).reserved).toBe(150);
    expect((await availability(server, b.sku)).reserved).toBe(300);
    expect((await availability(server, c.sku)).reserved).toBe(450);
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("racing multi-line orders for scarce stock never split an order or oversell a line", async () => {
    const a = await stockedSku(server, 30);
    const b = await stockedSku(server, 20, a.warehouseId);
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        clients[i % clients.length]!.reservations.reserve(reserveRequest(i % 2 ? [{ sku: a.sku, quantity: 1 }, { sku: b.sku, quantity: 1 }] : [{ sku: b.sku, quantity: 1 }, { sku: a.sku, quantity: 1 }]))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(20);
    expect(await availability(server, a.sku)).toMatchObject({ reserved: 20, available: 10 });
    expect(await availability(server, b.sku)).toMatchObject({ reserved: 20, available: 0 });
    expect(await checkInvariants(db)).toEqual(noViolations);
  });
});
