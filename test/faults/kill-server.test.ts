// kill -9 of the server process in the middle of a hot-SKU load, twice, then a restart: what a
// client was told holds, what it never heard back can be asked again by request_id, and the
// books are exact.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReservationState } from "../../src/gen/inventory/v1/reservation.js";
import type { GetReservationResponse, ReserveRequest } from "../../src/gen/inventory/v1/reservation_service.js";
import { newRequestId, Priority, unique } from "../support/fixtures.js";
import { noViolations } from "../support/invariants.js";
import { checkReserveBooks } from "../support/faults/books.js";
import { clientSet, settle } from "../support/faults/clients.js";
import { cloneTemplateDatabase, onRealPostgres, type FaultDatabase } from "../support/faults/database.js";
import { answeredId, kindOf, lastKind, runWorkers, sendReserve, tally, type ReserveEntry } from "../support/faults/load.js";
import { freePort, startService, type ServiceProcess } from "../support/faults/process.js";

const real = onRealPostgres();
if (!real) console.log("test/faults/kill-server: skipped, it needs a real PostgreSQL server (set DATABASE_URL)");

const workers = 12;
const roundsOfKill = 2;
/** Acknowledged reservations per round before the kill. */
const acksBeforeKill = 150;

let db: FaultDatabase;
let port: number;
const services: ServiceProcess[] = [];
const connections = clientSet();
const open = connections.open;

describe.skipIf(!real)("kill -9 of the server under a hot-SKU load", () => {
  const warehouseId = unique("wh-kill");
  const hot = unique("HOT");
  const side = unique("SIDE");
  const onHand = 100_000;

  beforeAll(async () => {
    db = await cloneTemplateDatabase();
    port = await freePort();
    const service = await startService({ databaseUrl: db.url, port });
    services.push(service);
    const c = open(service.address);
    await settle((md, o, cb) => c.inventory.createWarehouse({ warehouseId, displayName: "kill", region: "test" }, md, o, cb));
    for (const sku of [hot, side]) {
      const set = await settle((md, o, cb) => c.inventory.setStock({ requestId: newRequestId(), sku, warehouseId, onHand: String(onHand) }, md, o, cb));
      expect(set.ok).toBe(true);
    }
  });
  afterAll(async () => {
    connections.closeAll();
    for (const s of services) await s.dispose();
    await db?.close();
  });

  it("loses no acknowledged reservation and leaves nothing unanswered dangling", { timeout: 120_000 }, async () => {
    const journal: ReserveEntry[] = [];
    let serial = 0;
    const newOrder = (): ReserveEntry => {
      const n = serial++;
      const quantity = String(1 + (n % 3));
      const lines = n % 4 === 0
        ? [{ sku: side, quantity: "1", warehouseId }, { sku: hot, quantity, warehouseId }]
        : [{ sku: hot, quantity, warehouseId: n % 2 ? warehouseId : "" }];
      const request: ReserveRequest = {
        requestId: newRequestId(), orderId: `kill-${n}`, customerId: "c", channel: "flash-sale",
        priority: n % 5 === 0 ? Priority.PRIORITY_VIP : Priority.PRIORITY_STANDARD, allowPartial: false, waitForStock: false, lines,
      };
      return { method: "Reserve", request, outcomes: [] };
    };

    for (let round = 0; round < roundsOfKill; round++) {
      const service = round === 0 ? services[0]! : await startService({ databaseUrl: db.url, port });
      if (round > 0) services.push(service);
      const clients = Array.from({ length: workers }, () => open(service.address));
      let acked = 0;
      let killed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        service.kill("SIGKILL");
      };
      // Bounded: the kill comes at acksBeforeKill, or after 8 s whatever happened.
      const fallback = setTimeout(kill, 8_000);
      await runWorkers(workers, { maxMs: 15_000, maxIterations: 1_000, stop: () => killed }, async (w) => {
        const entry = newOrder();
        journal.push(entry);
        if (kindOf(await sendReserve(clients[w]!, entry, 10_000)) === "answered" && ++acked >= acksBeforeKill) kill();
      });
      clearTimeout(fallback);
      expect(await service.exited).toEqual({ code: null, signal: "SIGKILL" });
      // Normally acksBeforeKill; on a starved machine the fallback kill may come first.
      expect(acked).toBeGreaterThan(0);
    }

    // Restart; then the books, and a retry of every call the kills cut.
    const final = await startService({ databaseUrl: db.url, port });
    services.push(final);
    const c = open(final.address);
    expect(journal.filter((e) => lastKind(e) === "unanswered").length, "the kills cut calls in flight").toBeGreaterThan(0);
    const summary = await checkReserveBooks(db, c, journal);
    expect(summary.answered + summary.unanswered).toBe(journal.length);
    // Nothing else is in the database: every reservation there belongs to a journaled call.
    expect(await db.query(`SELECT count(*)::int AS n FROM reservation`)).toEqual([{ n: journal.filter((e) => answeredId(e)).length }]);

    // The units: reserved is exactly what the answers hold, and the ledger replays to the counters.
    const held = (sku: string) =>
      journal.reduce((sum, e) => {
        const id = answeredId(e);
        if (!id) return sum;
        const answer = [...e.outcomes].reverse().find((o) => o.ok)!;
        const line = answer.ok ? answer.value.reservation!.lines.find((l) => l.sku === sku) : undefined;
        return sum + Number(line?.reservedQuantity ?? 0);
      }, 0);
    for (const sku of [hot, side]) {
      expect(await db.query(`SELECT on_hand, reserved FROM stock_level WHERE sku = $1`, [sku])).toEqual([{ on_hand: String(onHand), reserved: String(held(sku)) }]);
    }
    expect(await db.invariants()).toEqual(noViolations);

    // Through the service too: a sample of the reservations reads back ACTIVE.
    for (const e of journal.filter((_, i) => i % 10 === 0 && answeredId(journal[i]!))) {
      const got = await settle<GetReservationResponse>((md, o, cb) => c.reservations.getReservation({ reservationId: answeredId(e)! }, md, o, cb), 5_000);
      expect(got.ok && got.value.reservation?.state).toBe(ReservationState.RESERVATION_STATE_ACTIVE);
    }
    console.log(`kill-server: ${summary.calls} calls, ${summary.unanswered} cut by ${roundsOfKill} kills (${summary.committedUnanswered} had committed), outcomes ${JSON.stringify(tally(journal))}`);
  });
});
