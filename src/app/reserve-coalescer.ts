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
import { cancelledWhileWaiting } from "./cancelled.js";
import { unwrapBatchResult, type BatchResult } from "./reserve-batch.js";

/**
 * A call waiting in a lane. One cancelled before its batch starts is answered at once and
 * skipped when it comes up (it still counts in its lane's queue until then).
 */
interface Waiter {
  command: ReserveCommand;
  resolve(response: ReserveResponse): void;
  reject(error: unknown): void;
  state: "waiting" | "cancelled" | "started";
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
  running: number;
  /** Waiting calls per SKU, in a shared lane; null in a SKU's own lane. */
  waitingBySku: Map<string, number> | null;
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
   * Reserves through the lane of the command's SKU; the command has exactly one line. When
   * `signal` aborts before the call's batch starts, the call is answered CANCELLED and skipped.
   */
  submit(command: ReserveCommand, signal?: AbortSignal): Promise<ReserveResponse> {
    const sku = command.lines[0]!.sku;
    const own = `sku:${sku}`;
    const id = this.lanes.has(own) ? own : `shared:${laneOf(sku, this.limits.laneCount)}`;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(cancelledWhileWaiting("its batch"));
        return;
      }
      const lane: Lane = this.lanes.get(id) ?? { queue: [], running: 0, waitingBySku: new Map() };
      if (lane.queue.length >= this.limits.queueMax) {
        reject(new ServiceError({
          reason: "OVERLOADED",
          message: `too many reservations are waiting for ${lane.waitingBySku ? "SKUs like " : ""}${JSON.stringify(sku)}; retry with the same request_id`,
          metadata: { sku, waiting: String(lane.queue.length) },
        }));
        return;
      }
      const waiter: Waiter = { command, resolve, reject, state: "waiting" };
      lane.queue.push(waiter);
      this.lanes.set(id, lane);
      signal?.addEventListener("abort", () => {
        if (waiter.state !== "waiting") return;
        waiter.state = "cancelled";
        reject(cancelledWhileWaiting("its batch"));
      }, { once: true });
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

  private hotLaneCount(): number {
    let n = 0;
    for (const lane of this.lanes.values()) if (!lane.waitingBySku) n++;
    return n;
  }

  /** Moves the SKU's waiting calls, in arrival order, from its shared lane to a lane of its own. */
  private giveOwnLane(sku: string, shared: Lane): void {
    const own: Lane = { queue: shared.queue.filter((w) => w.command.lines[0]!.sku === sku), running: 0, waitingBySku: null };
    shared.queue = shared.queue.filter((w) => w.command.lines[0]!.sku !== sku);
    shared.waitingBySku!.delete(sku);
    this.lanes.set(`sku:${sku}`, own);
    // Drained apart: the shared lane's running batches carry on with the SKUs left to it.
    void this.drain(`sku:${sku}`, own);
  }

  /** Writes the lane's queue batch after batch; up to laneDepth of these run per lane. */
  private async drain(id: string, lane: Lane): Promise<void> {
    lane.running++;
    while (lane.queue.length > 0) {
      const taken = lane.queue.splice(0, this.limits.batchMax);
      if (lane.waitingBySku) {
        for (const w of taken) {
          const sku = w.command.lines[0]!.sku;
          const left = lane.waitingBySku.get(sku)! - 1;
          if (left === 0) lane.waitingBySku.delete(sku);
          else lane.waitingBySku.set(sku, left);
        }
      }
      const batch = taken.filter((w) => w.state === "waiting");
      for (const w of batch) w.state = "started";
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
