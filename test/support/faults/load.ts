// Bounded concurrent load with a journal: every call's request (and its request_id) and every
// outcome it got, so a test can tell what a client was told from what it never heard back.
import { status } from "@grpc/grpc-js";
import type { ReserveRequest, ReserveResponse } from "../../../src/gen/inventory/v1/reservation_service.js";
import { settle, type Clients, type Outcome } from "./clients.js";
import { sleep } from "./process.js";

/**
 * What an outcome tells the caller:
 * - answered: the call succeeded;
 * - refused: a deliberate failure (FAILED_PRECONDITION, NOT_FOUND, ...) decided on the data;
 * - unanswered: the caller cannot know what happened (transport failure, deadline, cancel,
 *   DATABASE_UNAVAILABLE) and must retry with the same request_id;
 * - broken: INTERNAL, UNKNOWN or anything else a healthy service never answers.
 */
export type Kind = "answered" | "refused" | "unanswered" | "broken";

const refusals = new Set([status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.NOT_FOUND, status.ALREADY_EXISTS]);

export function kindOf(outcome: Outcome<unknown>): Kind {
  if (outcome.ok) return "answered";
  if (outcome.code === status.UNAVAILABLE && (outcome.reason === null || outcome.reason === "DATABASE_UNAVAILABLE")) return "unanswered";
  if ((outcome.code === status.DEADLINE_EXCEEDED || outcome.code === status.CANCELLED) && outcome.reason === null) return "unanswered";
  if (refusals.has(outcome.code) && outcome.reason !== null) return "refused";
  return "broken";
}

export interface Journal<Req, Res> {
  method: string;
  request: Req;
  outcomes: Outcome<Res>[];
}

export const lastKind = (entry: Journal<unknown, unknown>): Kind => kindOf(entry.outcomes[entry.outcomes.length - 1]!);

export interface Bounds {
  /** Wall-clock limit of the whole run. */
  maxMs: number;
  /** Iterations per worker. */
  maxIterations: number;
  /** Checked before each iteration. */
  stop?: () => boolean;
}

/** Runs `count` workers, each calling body until a bound is reached. */
export async function runWorkers(count: number, bounds: Bounds, body: (worker: number, iteration: number) => Promise<void>): Promise<void> {
  const end = Date.now() + bounds.maxMs;
  await Promise.all(
    Array.from({ length: count }, async (_, worker) => {
      for (let i = 0; i < bounds.maxIterations && Date.now() < end && !bounds.stop?.(); i++) await body(worker, i);
    }),
  );
}

export type ReserveEntry = Journal<ReserveRequest, ReserveResponse>;

export async function sendReserve(clients: Clients, entry: ReserveEntry, deadlineMs: number): Promise<Outcome<ReserveResponse>> {
  const outcome = await settle<ReserveResponse>((md, opts, cb) => clients.reservations.reserve(entry.request, md, opts, cb), deadlineMs);
  entry.outcomes.push(outcome);
  return outcome;
}

/**
 * Sends a request again, with its request_id, until it is answered or refused; bounded in
 * attempts and time. Returns the final kind.
 */
export async function retryReserve(clients: Clients, entry: ReserveEntry, { attempts = 20, pauseMs = 250, deadlineMs = 15_000 } = {}): Promise<Kind> {
  for (let i = 0; i < attempts; i++) {
    const kind = kindOf(await sendReserve(clients, entry, deadlineMs));
    if (kind !== "unanswered") return kind;
    await sleep(pauseMs);
  }
  return lastKind(entry);
}

/** The reservation id a Reserve entry was last answered with, if any. */
export function answeredId(entry: ReserveEntry): string | null {
  for (let i = entry.outcomes.length - 1; i >= 0; i--) {
    const o = entry.outcomes[i]!;
    if (o.ok) return o.value.reservation!.reservationId;
  }
  return null;
}

/** Counts of outcomes by kind and code, for failure messages and logs. */
export function tally(entries: Journal<unknown, unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of entries) {
    for (const o of e.outcomes) {
      const key = o.ok ? "OK" : `${status[o.code]}${o.reason ? `/${o.reason}` : ""}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}
