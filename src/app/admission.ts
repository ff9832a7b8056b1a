// Admission for calls that each take a database connection of their own (BatchReserve, and
// Reserve of a multi-line order): a few at once, a queue in arrival order behind them bounded by
// the requests it holds (a BatchReserve call of 1,000 weighs 1,000 orders), and RESOURCE_EXHAUSTED
// at once beyond that. Unbounded, a flood of them held every pool connection and queued for
// more, so every other call (releases, reads, the coalescer's batches) waited behind them until
// the pool's acquire timeout failed it UNAVAILABLE.
import { ServiceError } from "../core/failure.js";
import { cancelledWhileWaiting, type CallCancellation } from "./cancelled.js";

/**
 * A waiting call. A cancelled one gives its requests back at once and is skipped when it comes
 * up; the queue is compacted once such calls are half of it, so they cannot pile up.
 */
interface Waiting { weight: number; admit(): void; state: "waiting" | "cancelled" | "admitted" }

export interface AdmissionLimits {
  /** Calls running at once. */
  runningMax: number;
  /** Requests (the weight of the calls) waiting for one of those places before new calls are refused. */
  waitingRequestsMax: number;
}

export class Admission {
  private running = 0;
  private waiting: Waiting[] = [];
  /** Cancelled calls still in `waiting`. */
  private cancelledWaiting = 0;
  private waitingRequests = 0;

  constructor(
    /** What is admitted, for the refusal's message: "BatchReserve and multi-line Reserve calls". */
    private readonly what: string,
    private readonly limits: AdmissionLimits,
  ) {}

  /**
   * Runs `work`, a call of `requests` requests, once a place is free, in arrival order; refuses
   * it OVERLOADED when its requests would take the queue past its bound. When the call is cancelled
   * before it runs, it leaves the queue without running (CANCELLED); once running, it ends
   * as `work` ends.
   */
  async run<T>(requests: number, work: () => Promise<T>, cancellation?: CallCancellation): Promise<T> {
    const cancelled = () => cancelledWhileWaiting(`a place among ${this.what}`);
    if (cancellation?.cancelled) throw cancelled();
    // Every call weighs at least 1, so the bound holds for calls of no requests too.
    requests = Math.max(1, requests);
    if (this.running < this.limits.runningMax) {
      this.running++;
    } else {
      if (this.waitingRequests + requests > this.limits.waitingRequestsMax) {
        const waiting = this.waitingCalls();
        throw new ServiceError({
          reason: "OVERLOADED",
          message: `too many ${this.what} are waiting (${waiting}, with ${this.waitingRequests} requests); retry later with the same request_id`,
          metadata: { running: String(this.running), waiting: String(waiting), waiting_requests: String(this.waitingRequests) },
        });
      }
      this.waitingRequests += requests;
      // The call that finishes hands its place over: `running` stays as it is.
      await new Promise<void>((admit, reject) => {
        let unlisten: (() => void) | undefined;
        const entry: Waiting = {
          weight: requests,
          state: "waiting",
          admit: () => {
            entry.state = "admitted";
            unlisten?.();
            admit();
          },
        };
        this.waiting.push(entry);
        unlisten = cancellation?.onCancel(() => {
          if (entry.state !== "waiting") return;
          entry.state = "cancelled";
          this.cancelledWaiting++;
          this.waitingRequests -= entry.weight;
          if (this.cancelledWaiting * 2 > this.waiting.length) this.compact();
          reject(cancelled());
        });
      });
    }
    try {
      return await work();
    } finally {
      this.handOver();
    }
  }

  /** Gives the place of a call that ended to the first waiting call not cancelled, or frees it. */
  private handOver(): void {
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      if (next.state === "cancelled") {
        this.cancelledWaiting--;
        continue;
      }
      this.waitingRequests -= next.weight;
      next.admit();
      return;
    }
    this.running--;
  }

  private compact(): void {
    this.waiting = this.waiting.filter((w) => w.state !== "cancelled");
    this.cancelledWaiting = 0;
  }

  private waitingCalls(): number {
    return this.waiting.length - this.cancelledWaiting;
  }

  /** Calls running and waiting now (cancelled ones not counted), and the requests of those waiting. */
  load(): { running: number; waiting: number; waitingRequests: number } {
    return { running: this.running, waiting: this.waitingCalls(), waitingRequests: this.waitingRequests };
  }
}
