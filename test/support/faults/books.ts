// The checks every fault test ends with, on a journal of Reserve calls: acknowledged answers are
// committed and ACTIVE, unanswered calls can be asked again by request_id (the stored answer if
// they had committed), nothing in the database lacks an answer, and the invariants hold.
import { expect } from "vitest";
import { status } from "@grpc/grpc-js";
import { noViolations } from "../invariants.js";
import type { Clients } from "./clients.js";
import { halfWritten, type FaultDatabase } from "./database.js";
import { answeredId, kindOf, lastKind, retryReserve, sendReserve, type ReserveEntry } from "./load.js";

export interface BooksSummary {
  calls: number;
  answered: number;
  unanswered: number;
  /** Unanswered calls whose transaction had committed: their retry returned the stored answer. */
  committedUnanswered: number;
}

/**
 * Checks the books after a fault. `mayHaveMoved` names Reserve calls that are allowed to be no
 * longer ACTIVE (released, expired or waiting for stock). Retries go through `clients`.
 */
export async function checkReserveBooks(db: FaultDatabase, clients: Clients, journal: ReserveEntry[], mayHaveMoved: Set<string> = new Set()): Promise<BooksSummary> {
  // Soft, so that a service answering INTERNAL still gets the rest of its books checked.
  const broken = journal.filter((e) => e.outcomes.some((o) => kindOf(o) === "broken"));
  expect.soft(broken.map((e) => e.outcomes.map((o) => (o.ok ? "OK" : `${status[o.code]}/${o.reason}: ${o.details}`)).join(" then ")), "no call is answered INTERNAL or UNKNOWN").toEqual([]);

  const answered = journal.filter((e) => lastKind(e) === "answered");
  // INTERNAL says "may be retried with the same request_id": those calls are retried too.
  const unanswered = journal.filter((e) => lastKind(e) === "unanswered" || lastKind(e) === "broken");
  const rows = new Map(
    (await db.query<{ request_id: string; reservation_id: string; state: string }>(
      `SELECT request_id, reservation_id, state FROM reservation WHERE request_id = ANY($1)`, [journal.map((e) => e.request.requestId)]))
      .map((r) => [r.request_id, r]),
  );
  // What a client was told is in the database, as it was told.
  for (const e of answered) {
    const row = rows.get(e.request.requestId);
    expect(row?.reservation_id, `acknowledged ${e.request.requestId} is stored`).toBe(answeredId(e));
    if (!mayHaveMoved.has(e.request.requestId)) expect(row?.state, `acknowledged ${e.request.requestId} is ACTIVE`).toBe("ACTIVE");
  }
  expect(await halfWritten(db)).toEqual([]);
  expect(await db.invariants()).toEqual(noViolations);

  // What a client never heard back: retried with its request_id, it is answered; the stored
  // answer when it had committed.
  let committedUnanswered = 0;
  for (const e of unanswered) {
    const before = rows.get(e.request.requestId);
    const kind = await retryReserve(clients, e);
    expect(["answered", "refused"], `retry of ${e.request.requestId}: ${JSON.stringify(e.outcomes.at(-1))}`).toContain(kind);
    if (before) {
      committedUnanswered++;
      expect(kind).toBe("answered");
      expect(answeredId(e), "a committed call's retry returns its stored answer").toBe(before.reservation_id);
    }
  }

  // Nothing dangling: every reservation these calls made is one whose answer a client now holds.
  const byId = (a: { request_id: string }, b: { request_id: string }) => (a.request_id < b.request_id ? -1 : a.request_id > b.request_id ? 1 : 0);
  const after = await db.query<{ request_id: string; reservation_id: string }>(
    `SELECT request_id, reservation_id FROM reservation WHERE request_id = ANY($1)`, [journal.map((e) => e.request.requestId)]);
  const holders = journal.flatMap((e) => (answeredId(e) ? [{ request_id: e.request.requestId, reservation_id: answeredId(e)! }] : []));
  expect(after.sort(byId)).toEqual(holders.sort(byId));

  // A retry of an acknowledged call returns exactly its first answer and writes nothing.
  const ledger = await db.query(`SELECT count(*) AS n FROM ledger_entry`);
  for (const e of answered.slice(0, 25)) {
    const first = e.outcomes.find((o) => o.ok);
    expect(await sendReserve(clients, e, 10_000)).toEqual(first);
  }
  expect(await db.query(`SELECT count(*) AS n FROM ledger_entry`)).toEqual(ledger);
  expect(await db.invariants()).toEqual(noViolations);
  return { calls: journal.length, answered: answered.length, unanswered: unanswered.length, committedUnanswered };
}
