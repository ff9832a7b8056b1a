// Group commit: single-line Reserve calls that arrive while a lane's batches are being written
// wait and go together in its next one. The SKUs are shared out over a few lanes by a hash, so a
// SKU always lands in the same shared lane and calls over many SKUs still go several batches at
// a time. A lane writes up to laneDepth batches at once (beyond 1, the next one reads and decides
// while the one before holds the stock row). Under light load a call finds its lane idle
// and goes at once, alone; under a surge batches grow by themselves, up to a bound.
// A SKU with many calls waiting in its shared lane (a flash sale) gets a lane of its own for as
// long as it stays busy, so the other SKUs of that lane neither wait behind it nor share its
// queue limit.
// Correctness never depends on it: the batch engine's guarded writes hold across processes.
import type { ReserveCommand } from "../core/commands.js";
import { ServiceError } from "../core/failure.js";
import type { ReserveResponse } from "../gen/inventory/v1/reservation_service.js";
import { cancelledWhileWaiting, type CallCancellation } from "./cancelled.js";
import { unwrapBatchResult, type BatchResult } from "./reserve-batch.js";

/**
 * A call waiting in a lane. One cancelled before its batch starts is answered at once, leaves
 * its lane's counts, and is skipped when it comes up (or dropped when the lane's queue is
 * compacted, once cancelled calls are half of it).
 */
interface Waiter {
  command: ReserveCommand;
  resolve(response: ReserveResponse): void;
  reject(error: unknown): void;
  state: "waiting" | "cancelled" | "started";
  lane: Lane;
  /** Stops listening for the call's cancellation, once its batch starts. */
  unlisten(): void;
}

export interface CoalescerLimits {
  /** Calls in one batch. */
  batchMax: number;
  /** Calls waiting in one lane. */
  queueMax: number;
  /** Lanes: groups of SKUs whose batches are decided apart. */
  laneCount: number;
  /** Batches of one lane written at once. */
  laneDepth: number;
  /** Calls of one SKU waiting in a shared lane that give it a lane of its own. */
  hotSkuWaiting: number;
  /** SKUs with a lane of their own at once. */
  hotLaneMax: number;
}

interface Lane {
  queue: Waiter[];
  /** Cancelled calls still in `queue`. */
  cancelled: number;
  running: number;
  /** Waiting calls per SKU, in a shared lane; null in a SKU's own lane. */
  waitingBySku: Map<string, number> | null;
}

const noListener = () => {};

/** One call of the SKU fewer waiting in a shared lane. */
function countOut(waitingBySku: Map<string, number>, sku: string): void {
  const left = waitingBySku.get(sku)! - 1;
  if (left === 0) waitingBySku.delete(sku);
  else waitingBySku.set(sku, left);
}

/** The lane of a SKU: FNV-1a of its UTF-16 code units, modulo the lane count. */
export function laneOf(sku: string, laneCount: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < sku.length; i++) {
    hash ^= sku.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % laneCount;
}

export class ReserveCoalescer {
  /** Shared lanes by number ("shared:<n>"), a hot SKU's own lane by its SKU ("sku:<sku>"). */
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly run: (commands: ReserveCommand[]) => Promise<BatchResult[]>,
    private readonly limits: CoalescerLimits,
  ) {}

  /**
   * Reserves through the lane of the command's SKU; the command has exactly one line. When the
   * call is cancelled before its batch starts, it is answered CANCELLED and skipped.
   */
  submit(command: ReserveCommand, cancellation?: CallCancellation): Promise<ReserveResponse> {
    const sku = command.lines[0]!.sku;
    const own = `sku:${sku}`;
    const id = this.lanes.has(own) ? own : `shared:${laneOf(sku, this.limits.laneCount)}`;
    return new Promise((resolve, reject) => {
      if (cancellation?.cancelled) {
        reject(cancelledWhileWaiting("its batch"));
        return;
      }
      const lane: Lane = this.lanes.get(id) ?? { queue: [], cancelled: 0, running: 0, waitingBySku: new Map() };
      const waitingCalls = lane.queue.length - lane.cancelled;
      if (waitingCalls >= this.limits.queueMax) {
        reject(new ServiceError({
          reason: "OVERLOADED",
          message: `too many reservations are waiting for ${lane.waitingBySku ? "SKUs like " : ""}${JSON.stringify(sku)}; retry with the same request_id`,
          metadata: { sku, waiting: String(waitingCalls) },
        }));
        return;
      }
      const waiter: Waiter = { command, resolve, reject, state: "waiting", lane, unlisten: noListener };
      lane.queue.push(waiter);
      this.lanes.set(id, lane);
      if (cancellation) waiter.unlisten = cancellation.onCancel(() => this.cancel(waiter));
      if (lane.waitingBySku) {
        const waiting = (lane.waitingBySku.get(sku) ?? 0) + 1;
        lane.waitingBySku.set(sku, waiting);
        if (waiting >= this.limits.hotSkuWaiting && this.hotLaneCount() < this.limits.hotLaneMax) {
          this.giveOwnLane(sku, lane);
          return;
        }
      }
      if (lane.running < this.limits.laneDepth) void this.drain(id, lane);
    });
  }

  /** Answers a call cancelled before its batch started, and takes it out of its lane's counts. */
  private cancel(waiter: Waiter): void {
    if (waiter.state !== "waiting") return;
    waiter.state = "cancelled";
    const lane = waiter.lane;
    lane.cancelled++;
    if (lane.waitingBySku) countOut(lane.waitingBySku, waiter.command.lines[0]!.sku);
    if (lane.cancelled * 2 > lane.queue.length) {
      lane.queue = lane.queue.filter((w) => w.state === "waiting");
      lane.cancelled = 0;
    }
    waiter.reject(cancelledWhileWaiting("its batch"));
  }

  private hotLaneCount(): number {
    let n = 0;
    for (const lane of this.lanes.values()) if (!lane.waitingBySku) n++;
    return n;
  }

  /** Moves the SKU's waiting calls, in arrival order, from its shared lane to a lane of its own. */
  private giveOwnLane(sku: string, shared: Lane): void {
    const own: Lane = { queue: [], cancelled: 0, running: 0, waitingBySku: null };
    const left: Waiter[] = [];
    for (const w of shared.queue) {
      if (w.command.lines[0]!.sku !== sku) left.push(w);
      else if (w.state === "cancelled") shared.cancelled--;
      else {
        w.lane = own;
        own.queue.push(w);
      }
    }
    shared.queue = left;
    shared.waitingBySku!.delete(sku);
    this.lanes.set(`sku:${sku}`, own);
    // Drained apart: the shared lane's running batches carry on with the SKUs left to it.
    void this.drain(`sku:${sku}`, own);
  }

  /** Writes the lane's queue batch after batch; up to laneDepth of these run per lane. */
  private async drain(id: string, lane: Lane): Promise<void> {
    lane.running++;
    while (lane.queue.length > 0) {
      const batch: Waiter[] = [];
      for (const w of lane.queue.splice(0, this.limits.batchMax)) {
        if (w.state === "cancelled") {
          lane.cancelled--;
          continue;
        }
        if (lane.waitingBySku) countOut(lane.waitingBySku, w.command.lines[0]!.sku);
        w.state = "started";
        w.unlisten();
        batch.push(w);
      }
      if (batch.length === 0) continue;
      try {
        const results = await this.run(batch.map((w) => w.command));
        batch.forEach((w, i) => {
          try {
            w.resolve(unwrapBatchResult(results[i]!));
          } catch (error) {
            w.reject(error);
          }
        });
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    lane.running--;
    // An idle lane is forgotten: a hot SKU's goes back to its shared lane with its next call.
    if (lane.running === 0 && this.lanes.get(id) === lane) this.lanes.delete(id);
  }
}
