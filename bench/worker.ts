// A load generator process, forked by bench/main.ts: its own grpc-js channels, a closed loop at
// a concurrency or an open loop at a rate, an hdr histogram of call latencies (microseconds),
// and an account of every unit its successful answers granted, for the audit.
import { performance } from "node:perf_hooks";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import * as grpc from "@grpc/grpc-js";
import * as hdr from "hdr-histogram-js";
import { BatchReserveRequest, ReleaseReservationRequest, ReserveRequest } from "../src/gen/inventory/v1/reservation_service.js";
import { decodeStatus } from "../src/grpc/status-details.js";
import { histogramMicrosMax, sellOutWaitMsMax, type FromWorker, type ToWorker, type WorkerJob, type WorkerMeasurement, type WorkerTotals } from "./protocol.js";
import { releaseReasonEnum, reserveRequest, scenarios, type OpContext } from "./scenarios.js";
import { seededRandom } from "../test/support/seeded-random.js";

/** Unknown-outcome calls remembered for the audit; beyond this the audit reports them uncounted. */
const unknownOutcomesMax = 100_000;
/** The open loop's scheduling tick. */
const openLoopTickMs = 1;
/** How often the worker looks for calls to cancel after the line stopped. */
const watchdogIntervalMs = 250;
/** How long the channels may take to connect. */
const connectMsMax = 30_000;

const reservePath = "/inventory.v1.ReservationService/Reserve";
const releasePath = "/inventory.v1.ReservationService/ReleaseReservation";
const batchReservePath = "/inventory.v1.ReservationService/BatchReserve";

/** What the audit needs of a ReserveResponse: the reservation's id and its reserved units. */
interface Granted { reservationId: string; units: number }

/**
 * Reads only Reservation.reservation_id (1) and every lines[].reserved_quantity (8.4): decoding
 * whole answers (timestamps, summary) would make the client, not the server, the bottleneck.
 */
function decodeReservation(bytes: Uint8Array): Granted {
  const granted: Granted = { reservationId: "", units: 0 };
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [f, w] = r.tag();
    if (f === 1) granted.reservationId = r.string();
    else if (f === 8) {
      const line = new BinaryReader(r.bytes());
      while (line.pos < line.len) {
        const [lf, lw] = line.tag();
        if (lf === 4) granted.units += Number(line.int64());
        else line.skip(lw);
      }
    } else r.skip(w);
  }
  return granted;
}

/** ReserveResponse.reservation (1). */
function decodeGranted(bytes: Buffer): Granted {
  let granted: Granted = { reservationId: "", units: 0 };
  const top = new BinaryReader(bytes);
  while (top.pos < top.len) {
    const [field, wireType] = top.tag();
    if (field === 1) granted = decodeReservation(top.bytes());
    else top.skip(wireType);
  }
  return granted;
}

/** One BatchReserveResult: its reservation (1), or its error's code (2.1) and reason (2.3). */
type BatchOutcome = { granted: Granted } | { code: number; reason: string };

/** BatchReserveResponse.results (1), in request order. */
function decodeBatch(bytes: Buffer): BatchOutcome[] {
  const results: BatchOutcome[] = [];
  const top = new BinaryReader(bytes);
  while (top.pos < top.len) {
    const [field, wireType] = top.tag();
    if (field !== 1) {
      top.skip(wireType);
      continue;
    }
    const r = new BinaryReader(top.bytes());
    let outcome: BatchOutcome = { code: grpc.status.UNKNOWN, reason: "EMPTY_RESULT" };
    while (r.pos < r.len) {
      const [f, w] = r.tag();
      if (f === 1) outcome = { granted: decodeReservation(r.bytes()) };
      else if (f === 2) {
        const e = new BinaryReader(r.bytes());
        const error = { code: grpc.status.UNKNOWN as number, reason: "" };
        while (e.pos < e.len) {
          const [ef, ew] = e.tag();
          if (ef === 1) error.code = e.int32();
          else if (ef === 3) error.reason = e.string();
          else e.skip(ew);
        }
        outcome = error;
      } else r.skip(w);
    }
    results.push(outcome);
  }
  return results;
}

const encodeReserve = (m: ReserveRequest): Buffer => Buffer.from(ReserveRequest.encode(m).finish());
const encodeRelease = (m: ReleaseReservationRequest): Buffer => Buffer.from(ReleaseReservationRequest.encode(m).finish());
const encodeBatch = (m: BatchReserveRequest): Buffer => Buffer.from(BatchReserveRequest.encode(m).finish());
const ignoreAnswer = (b: Buffer): Buffer => b;

/**
 * Codes after which nothing was written: the server answered with a decision, or refused the
 * call before doing any work (RESOURCE_EXHAUSTED: a full queue, OVERLOADED).
 */
const definiteCodes = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.ALREADY_EXISTS, grpc.status.FAILED_PRECONDITION, grpc.status.RESOURCE_EXHAUSTED]);

/** Sends a message to main; resolves once it has left (a large result takes a while). */
function send(message: FromWorker): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())));
}


function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const codeName = (code: number): string => grpc.status[code] ?? String(code);
const resultOutcomeOf = (code: number, reason: string): string => (reason ? `${codeName(code)}/${reason}` : codeName(code));

function outcomeOf(error: grpc.ServiceError): string {
  const name = grpc.status[error.code] ?? String(error.code);
  const details = error.metadata?.get("grpc-status-details-bin")[0];
  if (details instanceof Buffer) {
    try {
      const reason = decodeStatus(details).errorInfo?.reason;
      if (reason) return `${name}/${reason}`;
    } catch {
      // A status we cannot decode still counts under its code.
    }
  }
  return name;
}

async function run(job: WorkerJob, startAtEpochMs: number, clients: grpc.Client[]): Promise<{ measured: WorkerMeasurement; totals: WorkerTotals }> {
  const scenario = scenarios[job.scenario];
  const expected = new Set(scenario.expectedRejections);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: histogramMicrosMax, numberOfSignificantValueDigits: 3 });
  const outcomes: Record<string, number> = {};
  const resultOutcomes: Record<string, number> = {};
  let measuredReservations = 0;
  const totals: WorkerTotals = {
    reserveOk: 0, batchCallsOk: 0, batchResultsOk: 0, reserveRejected: 0, reserveFailed: 0, unitsGranted: 0,
    releaseOk: { SHIPPED: 0, CANCELLED: 0 }, unitsReleased: { SHIPPED: 0, CANCELLED: 0 }, releaseFailed: 0,
    unknownReserves: [], unknownReleases: [],
  };
  const random = seededRandom(hash(`${job.line}/${job.workerIndex}`));

  // The timeline, in this process's performance clock. The window opens after the warmup; in a
  // scenario that sells out, not before this worker saw the first refusal (at most
  // sellOutWaitMsMax later), so it measures the sold-out regime where most calls are refused.
  const start = performance.now() + (startAtEpochMs - Date.now());
  const warmupEnd = start + job.warmupMs;
  let measureStart = Infinity;
  let measureEnd = Infinity;
  let measuredCalls = 0;
  let stopped = false;
  let soldOut = false;
  const stopIssuing = () => stopped || performance.now() >= measureEnd;
  let cpuBefore: NodeJS.CpuUsage | null = null;
  function beginMeasuring(): void {
    if (measureStart !== Infinity) return;
    const now = performance.now();
    measureStart = now;
    measureEnd = now + job.durationMs;
    cpuBefore = process.cpuUsage();
    // Not awaited: the calls go on while the notice is sent.
    void send({ type: "measuring", atEpochMs: Date.now() }).catch(() => undefined);
  }
  const warmupTimer = setTimeout(() => {
    if (!scenario.sellsOut || soldOut) beginMeasuring();
  }, Math.max(0, warmupEnd - performance.now()));
  const sellOutTimer = scenario.sellsOut ? setTimeout(beginMeasuring, Math.max(0, warmupEnd + sellOutWaitMsMax - performance.now())) : undefined;

  let nextClient = 0;
  const client = () => clients[nextClient++ % clients.length]!;
  let callSeq = 0;

  /** Records one completed call: in the histogram when it completed inside the window (then true). */
  function record(startedAt: number, outcome: string): boolean {
    const done = performance.now();
    if (done < measureStart || done >= measureEnd || stopped) return false;
    histogram.recordValue(Math.max(1, Math.round((done - startedAt) * 1000)));
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    measuredCalls++;
    if (job.requests !== null && measuredCalls >= job.requests) {
      stopped = true;
      measureEnd = done;
    }
    return true;
  }

  // No per-call deadline timer (it costs the client more than the server spends on an echo):
  // calls still outstanding a deadline after the line stopped issuing are cancelled instead.
  const outstanding = new Set<grpc.ClientUnaryCall>();
  function unary<Req, Res>(path: string, serialize: (r: Req) => Buffer, deserialize: (b: Buffer) => Res, req: Req) {
    return new Promise<{ response: Res } | { error: grpc.ServiceError }>((resolve) => {
      const call = client().makeUnaryRequest(path, serialize, deserialize, req, (error, response) => {
        outstanding.delete(call);
        resolve(error ? { error } : { response: response! });
      });
      outstanding.add(call);
    });
  }

  function contextFor(ordinal: number, intendedAt: number | null): OpContext {
    let first = true;
    return {
      ordinal,
      random,
      request: (lines) => reserveRequest(job.line, `${job.line}-w${job.workerIndex}-${callSeq++}`, lines),
      async reserve(request: ReserveRequest) {
        // Open loop: the first call of an operation is timed from when it was due (no coordinated omission).
        const startedAt = first && intendedAt !== null ? intendedAt : performance.now();
        first = false;
        const result = await unary(reservePath, encodeReserve, decodeGranted, request);
        if ("response" in result) {
          if (record(startedAt, "OK")) measuredReservations++;
          totals.reserveOk++;
          totals.unitsGranted += result.response.units;
          return result.response;
        }
        const outcome = outcomeOf(result.error);
        record(startedAt, outcome);
        if (!definiteCodes.has(result.error.code)) {
          if (totals.unknownReserves.length < unknownOutcomesMax) totals.unknownReserves.push(request.requestId);
        } else if (expected.has(outcome)) {
          totals.reserveRejected++;
          soldOut = true;
          if (performance.now() >= warmupEnd) beginMeasuring();
        }
        else totals.reserveFailed++;
        return null;
      },
      async batchReserve(requests: ReserveRequest[]) {
        const startedAt = first && intendedAt !== null ? intendedAt : performance.now();
        first = false;
        const result = await unary(batchReservePath, encodeBatch, decodeBatch, { requests });
        if (!("response" in result)) {
          record(startedAt, outcomeOf(result.error));
          if (!definiteCodes.has(result.error.code)) {
            for (const r of requests) if (totals.unknownReserves.length < unknownOutcomesMax) totals.unknownReserves.push(r.requestId);
          } else totals.reserveFailed += requests.length;
          return null;
        }
        const results = result.response;
        const inWindow = record(startedAt, results.length === requests.length ? "OK" : "UNKNOWN/WRONG_RESULT_COUNT");
        totals.batchCallsOk++;
        const held: Granted[] = [];
        requests.forEach((request, i) => {
          const r = results[i];
          if (r && "granted" in r) {
            held.push(r.granted);
            totals.batchResultsOk++;
            totals.unitsGranted += r.granted.units;
            if (inWindow) measuredReservations++;
            return;
          }
          // A result missing or failed: the server says this request wrote nothing, unless its
          // code is not a decision (then the audit asks the database, as for a lost call).
          const code = r ? r.code : grpc.status.UNKNOWN;
          const outcome = r ? resultOutcomeOf(r.code, r.reason) : "UNKNOWN/MISSING_RESULT";
          if (inWindow) resultOutcomes[outcome] = (resultOutcomes[outcome] ?? 0) + 1;
          if (!r || !definiteCodes.has(code)) {
            if (totals.unknownReserves.length < unknownOutcomesMax) totals.unknownReserves.push(request.requestId);
          } else if (expected.has(outcome)) {
            totals.reserveRejected++;
            soldOut = true;
            if (performance.now() >= warmupEnd) beginMeasuring();
          } else totals.reserveFailed++;
        });
        return held;
      },
      async release(reservationId, units, reason) {
        const startedAt = performance.now();
        first = false;
        const request: ReleaseReservationRequest = { requestId: `${job.line}-w${job.workerIndex}-${callSeq++}`, reservationId, reason: releaseReasonEnum[reason] };
        const result = await unary(releasePath, encodeRelease, ignoreAnswer, request);
        if ("response" in result) {
          record(startedAt, "OK");
          totals.releaseOk[reason]++;
          totals.unitsReleased[reason] += units;
          return true;
        }
        record(startedAt, outcomeOf(result.error));
        if (!definiteCodes.has(result.error.code)) {
          if (totals.unknownReleases.length < unknownOutcomesMax) totals.unknownReleases.push({ reservationId, units, reason });
        } else totals.releaseFailed++;
        return false;
      },
    };
  }

  await new Promise((r) => setTimeout(r, Math.max(0, start - performance.now())));
  let ordinal = 0;
  let dropped = 0;

  let loop: Promise<unknown>;
  if (job.mode === "closed") {
    const slot = async () => {
      while (!stopIssuing()) await scenario.op(contextFor(ordinal++, null));
    };
    loop = Promise.all(Array.from({ length: job.concurrency }, slot));
  } else {
    const intervalMs = 1000 / job.rate;
    const inFlight = new Set<Promise<void>>();
    let k = 0;
    loop = new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const now = performance.now();
        for (;;) {
          const due = start + k * intervalMs;
          if (due > now) break;
          if (stopIssuing() || due >= measureEnd) {
            clearInterval(tick);
            resolve();
            return;
          }
          k++;
          if (inFlight.size >= job.maxInFlight) {
            if (due >= measureStart) dropped++;
            continue;
          }
          const p = scenario.op(contextFor(ordinal++, due)).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      }, openLoopTickMs);
    }).then(() => Promise.all(inFlight));
  }
  // Bounded in time: once the line stops issuing, what is still out a deadline later is cancelled
  // (its outcome is then unknown to the client, and the audit asks the database).
  const watchdog = setInterval(() => {
    if (performance.now() >= measureEnd + job.deadlineMs) for (const call of outstanding) call.cancel();
  }, watchdogIntervalMs);
  await loop;
  clearInterval(watchdog);
  clearTimeout(warmupTimer);
  clearTimeout(sellOutTimer);
  const cpu = cpuBefore ? process.cpuUsage(cpuBefore) : null;
  const elapsedMs = measureStart === Infinity ? 1 : Math.max(1, Math.min(measureEnd, performance.now()) - measureStart);
  const measured: WorkerMeasurement = {
    calls: measuredCalls,
    elapsedMs,
    histogram: hdr.encodeIntoCompressedBase64(histogram),
    outcomes,
    reservations: measuredReservations,
    resultOutcomes,
    dropped,
    cpuMs: cpu ? (cpu.user + cpu.system) / 1000 : 0,
  };
  return { measured, totals };
}

let job: WorkerJob | null = null;
let clients: grpc.Client[] = [];

process.on("message", (message: ToWorker) => {
  void (async () => {
    try {
      if (message.type === "job") {
        job = message.job;
        const credentials = grpc.credentials.createInsecure();
        // A local subchannel pool per client: each is its own HTTP/2 connection.
        clients = Array.from({ length: job.channels }, () => new grpc.Client(job!.target, credentials, { "grpc.use_local_subchannel_pool": 1 }));
        await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + connectMsMax, (e) => (e ? reject(e) : resolve())))));
        await send({ type: "ready" });
      } else if (message.type === "start") {
        if (!job) throw new Error("start before job");
        const result = await run(job, message.atEpochMs, clients);
        for (const c of clients) c.close();
        // Disconnecting before the message has left drops it.
        await send({ type: "result", ...result });
        process.disconnect();
      }
    } catch (error) {
      await send({ type: "failed", message: error instanceof Error ? error.stack ?? error.message : String(error) }).catch(() => undefined);
      process.exitCode = 1;
      process.disconnect();
    }
  })();
});
