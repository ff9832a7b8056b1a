// Group commit: single-line Reserve calls that arrive while a batch is being written wait and go
// together in the next one. The SKUs are shared out over a few lanes by a hash, so a flash sale's
// SKU always lands in the same lane (its batches never contend with each other for its row) and
// calls over many SKUs still go several batches at a time. Under light load a call finds its
// lane idle and goes at once, alone; under a surge batches grow by themselves, up to a bound.
// Correctness never depends on it: the batch engine's guarded writes hold across processes.
import type { ReserveCommand } from "../core/commands.js";
import { ServiceError } from "../core/failure.js";
import type { ReserveResponse } from "../gen/inventory/v1/reservation_service.js";
import { unwrapBatchResult, type BatchResult } from "./reserve-batch.js";

interface Waiter { command: ReserveCommand; resolve(response: ReserveResponse): void; reject(error: unknown): void }

export interface CoalescerLimits {
  /** Calls in one batch. */
  batchMax: number;
  /** Calls waiting in one lane. */
  queueMax: number;
  /** Lanes: batches written at once. */
  laneCount: number;
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
  private readonly lanes = new Map<number, Waiter[]>();

  constructor(
    private readonly run: (commands: ReserveCommand[]) => Promise<BatchResult[]>,
    private readonly limits: CoalescerLimits,
  ) {}

  /** Reserves through the lane of the command's SKU; the command has exactly one line. */
  submit(command: ReserveCommand): Promise<ReserveResponse> {
    const sku = command.lines[0]!.sku;
    const lane = laneOf(sku, this.limits.laneCount);
    return new Promise((resolve, reject) => {
      const queue = this.lanes.get(lane);
      if (queue && queue.length >= this.limits.queueMax) {
        reject(new ServiceError({
          reason: "OVERLOADED",
          message: `too many reservations are waiting for SKUs like ${JSON.stringify(sku)}; retry with the same request_id`,
          metadata: { sku, waiting: String(queue.length) },
        }));
        return;
      }
      if (queue) {
        queue.push({ command, resolve, reject });
        return;
      }
      this.lanes.set(lane, [{ command, resolve, reject }]);
      void this.drain(lane);
    });
  }

  private async drain(lane: number): Promise<void> {
    const queue = this.lanes.get(lane)!;
    while (queue.length > 0) {
      const batch = queue.splice(0, this.limits.batchMax);
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
    this.lanes.delete(lane);
  }
}
