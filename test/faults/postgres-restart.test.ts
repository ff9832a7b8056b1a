// PostgreSQL restarting and crashing under load, on a private cluster of this test (never the
// shared server on 5432): the service answers UNAVAILABLE while it is down, recovers by itself,
// and loses nothing it acknowledged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import type { ReserveRequest } from "../../src/gen/inventory/v1/reservation_service.js";
import { newRequestId, Priority } from "../support/fixtures.js";
import { checkReserveBooks } from "../support/faults/books.js";
import { connect, healthCheck, settle, type Clients, type Failed, type ServingStatus } from "../support/faults/clients.js";
import { createDatabase, postgresBinDir, startPrivateCluster, type PrivateCluster } from "../support/faults/cluster.js";
import { databaseAt, onRealPostgres, type FaultDatabase } from "../support/faults/database.js";
import { kindOf, runWorkers, sendReserve, tally, type ReserveEntry } from "../support/faults/load.js";
import { freePort, sleep, startService, waitUntil, type ServiceProcess } from "../support/faults/process.js";

const real = onRealPostgres();
const bin = postgresBinDir();
const skip = !real || bin === null;
if (!real) console.log("test/faults/postgres-restart: skipped, it needs a real PostgreSQL installation (set DATABASE_URL)");
else if (!bin) console.log("test/faults/postgres-restart: skipped, no /usr/lib/postgresql/<version>/bin/initdb to build a private cluster with");

const warehouseId = "wh-restart";
/** Fast restarts under load before the crash; each cuts the calls in flight at a different point. */
const restarts = 6;
const hot = "HOT-RESTART";

let cluster: PrivateCluster;
let db: FaultDatabase;
let service: ServiceProcess;
let admin: Clients;
const opened: Clients[] = [];

const healthOf = async (c: Clients, service = ""): Promise<ServingStatus | string> => {
  const h = await healthCheck(c, service, 1_000);
  return h.ok ? h.value : `call failed: ${status[h.code]}`;
};

describe.skipIf(skip)("PostgreSQL restarts under load", () => {
  beforeAll(async () => {
    cluster = await startPrivateCluster();
    const url = await createDatabase(cluster, "stockhold");
    db = databaseAt(url);
    // The service migrates the empty database at start.
    service = await startService({ databaseUrl: url, port: await freePort() });
    admin = connect(service.address);
    opened.push(admin);
    expect((await settle((md, o, cb) => admin.inventory.createWarehouse({ warehouseId, displayName: "restart", region: "test" }, md, o, cb))).ok).toBe(true);
    expect((await settle((md, o, cb) => admin.inventory.setStock({ requestId: newRequestId(), sku: hot, warehouseId, onHand: "1000000" }, md, o, cb))).ok).toBe(true);
  }, 60_000);
  afterAll(async () => {
    for (const c of opened) c.close();
    await service?.dispose();
    await db?.close();
    await cluster?.destroy();
  });

  it("answers UNAVAILABLE/DATABASE_UNAVAILABLE while it is down, recovers by itself, loses nothing acknowledged", { timeout: 90_000 }, async () => {
    const clients = Array.from({ length: 6 }, () => {
      const c = connect(service.address);
      opened.push(c);
      return c;
    });
    type Phase = "up" | "restarting" | "down" | "starting";
    let phase: Phase = "up";
    let serial = 0;
    const journal: ReserveEntry[] = [];
    /** Calls that started and ended while PostgreSQL was stopped, with nothing else in between. */
    const duringDown: Failed[] = [];
    const answeredDuringDown: string[] = [];
    let stopLoad = false;
    const load = runWorkers(clients.length, { maxMs: 60_000, maxIterations: 5_000, stop: () => stopLoad }, async (w) => {
      const n = serial++;
      const request: ReserveRequest = {
        requestId: newRequestId(), orderId: `restart-${n}`, customerId: "", channel: "", priority: Priority.PRIORITY_STANDARD,
        allowPartial: false, waitForStock: false, lines: [{ sku: hot, quantity: String(1 + (n % 2)), warehouseId: "" }],
      };
      const entry: ReserveEntry = { method: "Reserve", request, outcomes: [] };
      journal.push(entry);
      const sentIn = phase;
      const outcome = await sendReserve(clients[w]!, entry, 20_000);
      if (sentIn === "down" && phase === "down") {
        if (outcome.ok) answeredDuringDown.push(request.requestId);
        else duringDown.push(outcome);
      }
      // Keep the load bounded while every call fails fast.
      if (!outcome.ok) await sleep(20);
    });

    try {
      // Fast restarts: sessions are terminated, the server is back within a second.
      for (let i = 0; i < restarts; i++) {
        await sleep(500);
        phase = "restarting";
        await cluster.restart();
        phase = "up";
      }
      await sleep(500);
      // A crash (immediate stop), and a while with no database at all.
      await cluster.crash();
      phase = "down";
      await sleep(2_000);
      phase = "starting";
      await cluster.start();
      phase = "up";
      // It recovers by itself: calls succeed again without touching the service.
      const recoveredAt = journal.length;
      const recovered = await waitUntil(() => journal.slice(recoveredAt).filter((e) => e.outcomes.at(-1)?.ok).length >= 20, 20_000);
      expect(recovered, `calls succeed again after PostgreSQL is back: ${JSON.stringify(tally(journal.slice(recoveredAt)))}`).toBe(true);
    } finally {
      stopLoad = true;
      await load;
    }

    expect(service.hasExited(), "the service survived").toBe(false);
    expect(answeredDuringDown).toEqual([]);
    expect(duringDown.length, "calls were made while PostgreSQL was down").toBeGreaterThan(0);
    for (const failed of duringDown) {
      expect({ code: status[failed.code], reason: failed.reason }).toEqual({ code: "UNAVAILABLE", reason: "DATABASE_UNAVAILABLE" });
      expect(failed.status?.errorInfo?.domain).toBe("stockhold.inventory.v1");
    }
    const unexpected = service.logged("unexpected error").map((r) => {
      const err = r.err as { type?: string; message?: string; code?: string } | undefined;
      return `${String(r.method)}: ${err?.type} ${err?.code ?? ""} ${err?.message}`;
    });
    const broken = journal.filter((e) => e.outcomes.some((o) => kindOf(o) === "broken")).map((e) => e.outcomes.map((o) => (o.ok ? "OK" : `${status[o.code]}/${o.reason}`)).join(" "));
    // BUG (reported): a pooled connection that PostgreSQL's restart cut makes the next transaction
    // fail at BEGIN; knex then rejects its first query with "Transaction query already complete",
    // which must be answered UNAVAILABLE/DATABASE_UNAVAILABLE, not INTERNAL. Soft, so the books
    // below are still checked.
    expect.soft({ broken, unexpected: [...new Set(unexpected)] }, "no call is answered INTERNAL; the server logs no unexpected error").toEqual({ broken: [], unexpected: [] });
    // The database probe notices the recovery within its interval (1 s).
    expect(await waitUntil(async () => (await healthOf(admin)) === "SERVING", 5_000, 100)).toBe(true);

    const summary = await checkReserveBooks(db, admin, journal);
    console.log(`postgres-restart: ${summary.calls} calls, ${duringDown.length} while down, ${summary.unanswered} unanswered (${summary.committedUnanswered} had committed), outcomes ${JSON.stringify(tally(journal))}`);
  });

  // A load balancer must stop sending traffic to a replica whose database is gone.
  it("health goes NOT_SERVING while PostgreSQL is down and SERVING again after", { timeout: 60_000 }, async () => {
    expect(await waitUntil(async () => (await healthOf(admin)) === "SERVING", 5_000, 100)).toBe(true);
    await cluster.crash();
    try {
      const seen: string[] = [];
      const notServing = await waitUntil(async () => {
        // Traffic while it is down, so a service that notices failures (not only probes) can tell.
        await settle((md, o, cb) => admin.inventory.getAvailability({ sku: hot, warehouseId: "" }, md, o, cb), 2_000);
        const [all, reservations] = [await healthOf(admin), await healthOf(admin, "inventory.v1.ReservationService")];
        seen.push(`${all}/${reservations}`);
        return all === "NOT_SERVING" && reservations === "NOT_SERVING";
      }, 6_000, 200);
      expect(notServing, `health while PostgreSQL is down: ${[...new Set(seen)].join(", ")}`).toBe(true);
    } finally {
      await cluster.start();
    }
    expect(await waitUntil(async () => (await healthOf(admin)) === "SERVING", 15_000, 200)).toBe(true);
  });
});
