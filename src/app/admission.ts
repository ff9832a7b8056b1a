// Admission for calls that each take a database connection of their own (BatchReserve, and
// Reserve of a multi-line order): a few at once, a queue in arrival order behind them bounded by
// the requests it holds (a BatchReserve call of 1,000 weighs 1,000 orders), and RESOURCE_EXHAUSTED
// at once beyond that. Unbounded, a flood of them held every pool connection and queued for
// more, so every other call (releases, reads, the coalescer's batches) waited behind them until
// the pool's acquire timeout failed it UNAVAILABLE.
import { ServiceError } from "../core/failure.js";
import { cancelledWhileWaiting } from "./cancelled.js";

/** A waiting call; a cancelled one stays in the queue, weightless, until it comes up and is skipped. */
interface Waiting { weight: number; admit(): void; cancelled: boolean }

export interface AdmissionLimits {
  /** Calls running at once. */
  runningMax: number;
  /** Requests (the weight of the calls) waiting for one of those places before new calls are refused. */
  waitingRequestsMax: number;
}

export class Admission {
  private running = 0;
  private readonly waiting: Waiting[] = [];
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
   * it OVERLOADED when its requests would take the queue past its bound. When `signal` aborts
   * while the call waits, it leaves the queue without running (CANCELLED); once running, it ends
   * as `work` ends.
   */
  async run<T>(requests: number, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    // Every call weighs at least 1, so the bound holds for calls of no requests too.
    requests = Math.max(1, requests);
    if (this.running < this.limits.runningMax) {
      this.running++;
    } else {
      if (this.waitingRequests + requests > this.limits.waitingRequestsMax) {
        throw new ServiceError({
          reason: "OVERLOADED",
          message: `too many ${this.what} are waiting (${this.waiting.length}, with ${this.waitingRequests} requests); retry later with the same request_id`,
          metadata: { running: String(this.running), waiting: String(this.waiting.length), waiting_requests: String(this.waitingRequests) },
        });
      }
      if (signal?.aborted) throw cancelledWhileWaiting(`a place among ${this.what}`);
      this.waitingRequests += requests;
      // The call that finishes hands its place over: `running` stays as it is.
      await new Promise<void>((admit, reject) => {
        const entry: Waiting = { weight: requests, admit, cancelled: false };
        const cancel = () => {
          entry.cancelled = true;
          this.cancelledWaiting++;
          this.waitingRequests -= entry.weight;
          reject(cancelledWhileWaiting(`a place among ${this.what}`));
        };
        entry.admit = () => {
          signal?.removeEventListener("abort", cancel);
          admit();
        };
        this.waiting.push(entry);
        signal?.addEventListener("abort", cancel, { once: true });
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
      if (next.cancelled) {
        this.cancelledWaiting--;
        continue;
      }
      this.waitingRequests -= next.weight;
      next.admit();
      return;
    }
    this.running--;
  }

  /** Calls running and waiting now, and the requests of those waiting. */
  load(): { running: number; waiting: number; waitingRequests: number } {
    return { running: this.running, waiting: this.waiting.length - this.cancelledWaiting, waitingRequests: this.waitingRequests };
  }
}
