// BatchReserve and the hot-SKU coalescer: one transaction for many reservations, each with its
// own answer, and no oversell however the batches form or how many processes write.
import { describe, expect, it } from "vitest";
import { status, type ServiceError } from "@grpc/grpc-js";
import { onRealPostgres } from "../support/database.js";
import { rejection, startTestServer } from "../support/server.js";
import { Priority, availability, reserveRequest, stockedSku } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { openOrm, type Orm } from "../../src/db/orm.js";
import { batchReserveRequestsMax } from "../../src/limits.js";
import { useTestServer } from "../support/harness.js";

if (!onRealPostgres()) console.log("test/integration/batch-reserve: one test skipped, two servers need two pools, and the embedded database takes one connection");

const { db, server } = useTestServer();

describe("BatchReserve", () => {
  it("answers each request on its own: a reservation, the error it would have had alone, or its validation error", async () => {
    const { sku, warehouseId } = await stockedSku(server, 5);
    const good = reserveRequest([{ sku, quantity: 3, warehouseId }]);
    const short = reserveRequest([{ sku, quantity: 3, warehouseId }]);
    const bad = reserveRequest([{ sku, quantity: 0, warehouseId }]);
    const { results } = await server.reservations.batchReserve({ requests: [good, short, bad] });
    expect(results[0]!.reservation?.lines[0]?.reservedQuantity).toBe("3");
    expect(results[1]!.error).toMatchObject({ code: status.FAILED_PRECONDITION, reason: "INSUFFICIENT_STOCK", metadata: { sku, available: "2", requested: "3" } });
    expect(results[2]!.error).toMatchObject({ code: status.INVALID_ARGUMENT, reason: "FIELD_OUT_OF_RANGE", fields: ["lines[0].quantity"] });
    expect(await availability(server, sku)).toEqual({ onHand: 5, reserved: 3, available: 2 });
  });

  it("serves VIP requests first inside a batch, then the rest in the order given", async () => {
    const { sku, warehouseId } = await stockedSku(server, 4);
    const requests = [
      reserveRequest([{ sku, quantity: 2, warehouseId }], { orderId: "s1" }),
      reserveRequest([{ sku, quantity: 2, warehouseId }], { orderId: "s2" }),
      reserveRequest([{ sku, quantity: 2, warehouseId }], { orderId: "v1", priority: Priority.PRIORITY_VIP }),
    ];
    const { results } = await server.reservations.batchReserve({ requests });
    expect(results.map((r) => (r.reservation ? "ok" : r.error!.reason))).toEqual(["ok", "INSUFFICIENT_STOCK", "ok"]);
  });

  it("replays a retried request and shares one answer between copies of a request in the same batch", async () => {
    const { sku } = await stockedSku(server, 10);
    const request = reserveRequest([{ sku, quantity: 1 }]);
    const first = await server.reservations.batchReserve({ requests: [request, request, { ...request, orderId: "other" }] });
    expect(first.results[1]).toEqual(first.results[0]);
    expect(first.results[2]!.error?.reason).toBe("REQUEST_ID_REUSED");
    const again = await server.reservations.batchReserve({ requests: [request] });
    expect(again.results[0]).toEqual(first.results[0]);
    const single = await server.reservations.reserve(request);
    expect(single.reservation).toEqual(first.results[0]!.reservation);
    expect(await availability(server, sku)).toMatchObject({ reserved: 1 });
  });

  it("replays retried requests mixed with new ones, reserving only the new ones, also on the locked path of a waiting order", async () => {
    const { sku } = await stockedSku(server, 10);
    const [a, b] = [reserveRequest([{ sku, quantity: 1 }]), reserveRequest([{ sku, quantity: 2 }])];
    const first = await server.reservations.batchReserve({ requests: [a, b] });
    const [c, d] = [reserveRequest([{ sku, quantity: 3 }]), reserveRequest([{ sku, quantity: 1 }])];
    const mixed = await server.reservations.batchReserve({ requests: [a, c, b, d] });
    expect([mixed.results[0], mixed.results[2]]).toEqual(first.results);
    expect([mixed.results[1], mixed.results[3]].map((r) => r!.reservation?.lines[0]?.reservedQuantity)).toEqual(["3", "1"]);
    // A waiting order makes the batch read under row locks, inside a transaction.
    const waiting = reserveRequest([{ sku, quantity: 2 }], { waitForStock: true });
    const locked = await server.reservations.batchReserve({ requests: [waiting, c, a] });
    expect([locked.results[1], locked.results[2]]).toEqual([mixed.results[1], first.results[0]]);
    expect(locked.results[0]!.reservation?.lines[0]?.reservedQuantity).toBe("2");
    expect(await availability(server, sku)).toMatchObject({ reserved: 9 });
    expect(await checkInvariants(db)).toEqual(noViolations);
  });

  it("rejects an empty batch and one over the limit as a whole", async () => {
    const empty = await rejection(server.reservations.batchReserve({ requests: [] }));
    expect([empty.code, empty.status.fieldViolations?.[0]?.field]).toEqual([status.INVALID_ARGUMENT, "requests"]);
    const { sku } = await stockedSku(server, 1);
    const tooMany = await rejection(server.reservations.batchReserve({ requests: Array.from({ length: batchReserveRequestsMax + 1 }, () => reserveRequest([{ sku, quantity: 1 }])) }));
    expect(tooMany.status.errorInfo?.reason).toBe("TOO_MANY_LINES");
  });

  it("grants exactly the stock to 1,000 requests on one hot SKU, in one call", async () => {
    const { sku, warehouseId } = await stockedSku(server, 600);
    const { results } = await server.reservations.batchReserve({ requests: Array.from({ length: 1000 }, () => reserveRequest([{ sku, quantity: 1, warehouseId }])) });
    expect(results.filter((r) => r.reservation)).toHaveLength(600);
    expect(results.filter((r) => r.error?.reason === "INSUFFICIENT_STOCK")).toHaveLength(400);
    expect(await availability(server, sku)).toEqual({ onHand: 600, reserved: 600, available: 0 });
    expect(await checkInvariants(db)).toEqual(noViolations);
  });
});

describe("the hot-SKU coalescer", () => {
  it("puts concurrent single-line reserves of one SKU in far fewer transactions, each caller with its own answer", async () => {
    const { sku, warehouseId } = await stockedSku(server, 1_000_000);
    const answers = await Promise.all(Array.from({ length: 400 }, () => server.reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }]))));
    expect(new Set(answers.map((a) => a.reservation!.reservationId)).size).toBe(400);
    const [batches] = await db.query<{ n: string }>(`SELECT count(DISTINCT request_id) AS n FROM ledger_entry WHERE sku = ? AND kind = 'RESERVE'`, [sku]);
    expect(Number(batches!.n)).toBeLessThan(400);
    expect(await availability(server, sku)).toMatchObject({ reserved: 400 });
  });

  it.skipIf(!onRealPostgres())("never oversells with two servers (two pools, as two processes) coalescing on one database", async () => {
    const { sku, warehouseId } = await stockedSku(server, 300);
    const secondOrm: Orm = await openOrm({ url: db.url, poolSize: 4 });
    const second = await startTestServer(secondOrm);
    try {
      const calls = Array.from({ length: 800 }, (_, i) => (i % 2 ? second : server).reservations.reserve(reserveRequest([{ sku, quantity: 1, warehouseId }])));
      const settled = await Promise.allSettled(calls);
      expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(300);
      expect(new Set(settled.flatMap((s) => (s.status === "rejected" ? [(s.reason as ServiceError).code] : [])))).toEqual(new Set([status.FAILED_PRECONDITION]));
      expect(await availability(server, sku)).toEqual({ onHand: 300, reserved: 300, available: 0 });
      expect(await checkInvariants(db)).toEqual(noViolations);
    } finally {
      await second.stop();
      await secondOrm.close(true);
    }
  });
});
