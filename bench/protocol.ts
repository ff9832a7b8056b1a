// Messages between bench/main.ts and its load generator processes (bench/worker.ts).
import type { ScenarioName } from "./scenarios.js";

/** Latencies are recorded in microseconds, tracked up to a minute, 3 significant digits. */
export const histogramMicrosMax = 60_000_000;

/** A scenario that sells out measures from the first refusal, waiting at most this long past warmup. */
export const sellOutWaitMsMax = 30_000;

export interface WorkerJob {
  /** host:port of the server under load. */
  target: string;
  scenario: ScenarioName;
  /** The line's id: prefix of its SKUs, warehouse and request ids. */
  line: string;
  workerIndex: number;
  mode: "closed" | "open";
  /** Closed loop: this worker's calls in flight. */
  concurrency: number;
  /** Open loop: this worker's calls started per second. */
  rate: number;
  maxInFlight: number;
  channels: number;
  warmupMs: number;
  durationMs: number;
  /** This worker's share of --requests; null when only time bounds the line. */
  requests: number | null;
  deadlineMs: number;
}

/** What the worker's calls did to the database, warmup included: the audit's expectation. */
export interface WorkerTotals {
  /** Reserve calls answered OK: one reservation each. */
  reserveOk: number;
  /** BatchReserve calls answered OK (each holds one result per request). */
  batchCallsOk: number;
  /** Results of those calls that hold a reservation: one reservation each. */
  batchResultsOk: number;
  /** Clean, expected refusals (hot-scarce's INSUFFICIENT_STOCK): Reserve calls and batch results. */
  reserveRejected: number;
  /** Other definite failures (nothing written): Reserve calls, batch results, every request of a failed BatchReserve call. */
  reserveFailed: number;
  unitsGranted: number;
  releaseOk: Record<"SHIPPED" | "CANCELLED", number>;
  unitsReleased: Record<"SHIPPED" | "CANCELLED", number>;
  releaseFailed: number;
  /** Request ids of reserves whose outcome the client cannot know (deadline, connection loss; every request of such a BatchReserve call): resolved in SQL. */
  unknownReserves: string[];
  /** Release calls of unknown outcome. */
  unknownReleases: { reservationId: string; units: number; reason: "SHIPPED" | "CANCELLED" }[];
}

export interface WorkerMeasurement {
  /** Calls completed inside the measured window. */
  calls: number;
  elapsedMs: number;
  /** hdr-histogram-js, compressed base64, microseconds. */
  histogram: string;
  /** Measured calls by outcome: "OK", or "<grpc code>/<ErrorInfo reason>". */
  outcomes: Record<string, number>;
  /** Reservations made by the measured calls: OK Reserve answers, batch results holding one. */
  reservations: number;
  /** Results of measured BatchReserve calls that hold no reservation, by "<grpc code>/<reason>". */
  resultOutcomes: Record<string, number>;
  /** Open loop: calls not started because maxInFlight were outstanding. */
  dropped: number;
  cpuMs: number;
}

export type ToWorker = { type: "job"; job: WorkerJob } | { type: "start"; atEpochMs: number };
export type FromWorker =
  | { type: "ready" }
  /** The worker's measured window opened (the first such message starts the CPU figures). */
  | { type: "measuring"; atEpochMs: number }
  | { type: "result"; measured: WorkerMeasurement; totals: WorkerTotals }
  | { type: "failed"; message: string };
