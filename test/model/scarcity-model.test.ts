// Model-based test: random sequences of reserve, wait, release, receipt, external sale, buffer
// change and expiry run against the real service on a real database and against a small
// in-memory model; after every step the stored state must equal the model's.
import { afterAll, beforeAll, expect, it } from "vitest";
import fc from "fast-check";
import { openTestDatabase, type TestDatabase } from "../support/database.js";
import { ManualClock } from "../support/clock.js";
import { unique } from "../support/fixtures.js";
import { checkInvariants, noViolations } from "../support/invariants.js";
import { InventoryApp } from "../../src/app/inventory.js";
import { ReservationApp } from "../../src/app/reservations.js";
import { ServiceError } from "../../src/core/failure.js";
import { randomUUID } from "node:crypto";

type Priority = "STANDARD" | "VIP";
type Command =
  | { kind: "reserve"; priority: Priority; quantity: number; wait: boolean; partial: boolean; ttlS: number | null }
  | { kind: "release"; pick: number; ship: boolean }
  | { kind: "receipt"; units: number }
  | { kind: "sale"; units: number }
  | { kind: "buffer"; units: number }
  | { kind: "advance"; seconds: number; sweep: boolean };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant("reserve" as const), priority: fc.constantFrom<Priority>("STANDARD", "VIP"), quantity: fc.integer({ min: 1, max: 4 }),
    wait: fc.boolean(), partial: fc.boolean(), ttlS: fc.option(fc.integer({ min: 1, max: 120 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant("release" as const), pick: fc.nat(), ship: fc.boolean() }),
  fc.record({ kind: fc.constant("receipt" as const), units: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant("sale" as const), units: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant("buffer" as const), units: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant("advance" as const), seconds: fc.integer({ min: 1, max: 90 }), sweep: fc.boolean() }),
);

// ---- the model: one SKU in one warehouse, written as plainly as possible ----
interface ModelReservation { id: string; priority: Priority; seq: number; requested: number; held: number; waiting: number; released: boolean; expireAt: number | null }
interface Model { onHand: number; reserved: number; buffer: number; reservations: ModelReservation[]; seq: number }

const freeFor = (m: Model, p: Priority) => Math.max(0, m.onHand - m.reserved - (p === "VIP" ? 0 : m.buffer));

function modelFill(m: Model): void {
  const queue = m.reservations.filter((r) => !r.released && r.waiting > 0)
    .sort((a, b) => (a.priority === b.priority ? a.seq - b.seq : a.priority === "VIP" ? -1 : 1));
  for (const r of queue) {
    const units = Math.min(r.waiting, freeFor(m, r.priority));
    r.held += units;
    r.waiting -= units;
    m.reserved += units;
  }
}

function modelRelease(m: Model, r: ModelReservation, reason: "SHIPPED" | "CANCELLED" | "EXPIRED"): string | null {
  if (r.released) return "ALREADY_RELEASED";
  if (reason === "SHIPPED" && r.held === 0) return "NOTHING_HELD";
  m.reserved -= r.held;
  if (reason === "SHIPPED") m.onHand -= r.held;
  r.released = true;
  r.waiting = 0;
  if (reason !== "SHIPPED") modelFill(m);
  return null;
}

function modelExpire(m: Model, now: number): void {
  const expired = m.reservations.filter((r) => !r.released && r.expireAt !== null && r.expireAt <= now)
    .sort((a, b) => a.expireAt! - b.expireAt! || a.seq - b.seq);
  for (const r of expired) modelRelease(m, r, "EXPIRED");
}

function modelSale(m: Model, units: number): string | null {
  if (m.onHand - units < 0) return "INSUFFICIENT_ON_HAND";
  let short = m.reserved - (m.onHand - units);
  const victims = m.reservations.filter((r) => !r.released && r.held > 0)
    .sort((a, b) => (a.priority === b.priority ? b.seq - a.seq : a.priority === "STANDARD" ? -1 : 1));
  for (const r of victims) {
    if (short <= 0) break;
    const take = Math.min(r.held, short);
    r.held -= take;
    r.waiting += take;
    m.reserved -= take;
    short -= take;
  }
  m.onHand -= units;
  return null;
}

// ---- the harness ----
let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const reasonOf = (e: unknown): string => {
  if (e instanceof ServiceError) return e.failure.reason;
  throw e;
};

// Both reserve paths: single-line orders through the coalescer's batch engine, and alone.
it.each([{ path: "coalesced", coalesce: true }, { path: "alone", coalesce: false }])("the stored state equals a simple model after every step of random command sequences ($path)", async ({ coalesce }) => {
  const clock = new ManualClock();
  const inventory = new InventoryApp(db.orm, clock);
  const reservations = new ReservationApp(db.orm, clock, { coalesce });
  const warehouseId = unique("wh");
  await inventory.createWarehouse({ warehouseId, displayName: "", region: "" });

  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 8 }), fc.array(commandArb, { minLength: 3, maxLength: 30 }), async (initial, commands) => {
      const sku = unique("MODEL");
      const m: Model = { onHand: initial, reserved: 0, buffer: 0, reservations: [], seq: 0 };
      await inventory.setStock({ requestId: randomUUID(), sku, warehouseId, onHand: initial });
      const key = { sku, warehouseId };

      for (const c of commands) {
        let expected: string | null = null;
        let actual: string | null = null;
        const now = clock.now().getTime();
        switch (c.kind) {
          case "reserve": {
            // A reserve first releases expired holds on its SKU, each in its own transaction,
            // whatever becomes of the reserve itself.
            modelExpire(m, now);
            const free = freeFor(m, c.priority);
            const held = Math.min(c.quantity, free);
            if (!c.wait && (held === 0 || (held < c.quantity && !c.partial))) expected = "INSUFFICIENT_STOCK";
            try {
              const { reservation } = await reservations.reserve({
                requestId: randomUUID(), orderId: "o", customerId: "", channel: "", priority: c.priority, allowPartial: c.partial,
                waitForStock: c.wait, ttlMs: c.ttlS === null ? null : c.ttlS * 1000, lines: [{ sku, quantity: c.quantity, warehouseId }],
              });
              m.reservations.push({
                id: reservation!.reservationId, priority: c.priority, seq: m.seq++, requested: c.quantity, held, waiting: c.wait ? c.quantity - held : 0,
                released: false, expireAt: c.ttlS === null ? null : now + c.ttlS * 1000,
              });
              m.reserved += held;
            } catch (e) {
              actual = reasonOf(e);
            }
            break;
          }
          case "release": {
            const r = m.reservations[c.pick % Math.max(1, m.reservations.length)];
            if (!r) continue;
            // A release does not sweep first: an expired, unswept hold is still releasable.
            expected = modelRelease(m, r, c.ship ? "SHIPPED" : "CANCELLED");
            try {
              await reservations.release({ requestId: randomUUID(), reservationId: r.id, reason: c.ship ? "SHIPPED" : "CANCELLED" });
            } catch (e) {
              actual = reasonOf(e);
            }
            break;
          }
          case "receipt":
            m.onHand += c.units;
            modelFill(m);
            await inventory.adjustStock({ requestId: randomUUID(), ...key, delta: c.units, reason: "RECEIPT" });
            break;
          case "sale":
            expected = modelSale(m, c.units);
            try {
              await inventory.adjustStock({ requestId: randomUUID(), ...key, delta: -c.units, reason: "EXTERNAL_SALE" });
            } catch (e) {
              actual = reasonOf(e);
            }
            break;
          case "buffer": {
            const lowered = c.units < m.buffer;
            m.buffer = c.units;
            if (lowered) modelFill(m);
            await inventory.setStockPolicy({ requestId: randomUUID(), ...key, minStock: null, leadTimeMs: null, autoActivate: null, safetyBuffer: c.units, reason: "model" });
            break;
          }
          case "advance":
            clock.advance(c.seconds * 1000);
            if (c.sweep) {
              modelExpire(m, clock.now().getTime());
              await reservations.sweepExpired();
            }
            break;
        }
        expect(actual, `${JSON.stringify(c)} failed differently`).toBe(expected);

        const [stock] = await db.query<{ on_hand: string; reserved: string; safety_buffer: string }>(
          `SELECT on_hand, reserved, safety_buffer FROM stock_level WHERE sku = ? AND warehouse_id = ?`, [sku, warehouseId]);
        expect({ onHand: Number(stock!.on_hand), reserved: Number(stock!.reserved), buffer: Number(stock!.safety_buffer) }, JSON.stringify(c))
          .toEqual({ onHand: m.onHand, reserved: m.reserved, buffer: m.buffer });
        const rows = await db.query<{ reservation_id: string; state: string; reserved: string; waiting: string }>(
          `SELECT r.reservation_id, r.state, l.reserved, l.waiting FROM reservation r JOIN reservation_line l USING (reservation_id) WHERE l.sku = ?`, [sku]);
        const stored = Object.fromEntries(rows.map((r) => [r.reservation_id, { state: r.state, held: r.state === "RELEASED" ? 0 : Number(r.reserved), waiting: Number(r.waiting) }]));
        const modelled = Object.fromEntries(m.reservations.map((r) => [r.id, { state: r.released ? "RELEASED" : r.held > 0 ? "ACTIVE" : "PENDING", held: r.released ? 0 : r.held, waiting: r.waiting }]));
        expect(stored, JSON.stringify(c)).toEqual(modelled);
      }
      expect(await checkInvariants(db)).toEqual(noViolations);
    }),
    { numRuns: Number(process.env.MODEL_RUNS ?? 100), seed: process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined },
  );
}, 300_000);
