// Group commit for hot SKUs: Reserve calls for one SKU that arrive while a transaction for it
// is running wait and go together in the next one. Under light load a call finds nothing
// running and goes at once, alone; under a surge batches grow by themselves, up to a bound.
// Correctness never depends on it: the batch engine's guarded updates hold across processes.
import type { ReserveCommand } from "../core/commands.js";
import { ServiceError } from "../core/failure.js";
import type { ReserveResponse } from "../gen/inventory/v1/reservation_service.js";
import { unwrapBatchResult, type BatchResult } from "./reserve-batch.js";

interface Waiter { command: ReserveCommand; resolve(response: ReserveResponse): void; reject(error: unknown): void }

export class ReserveCoalescer {
  private readonly queues = new Map<string, Waiter[]>();

  constructor(
    private readonly run: (commands: ReserveCommand[]) => Promise<BatchResult[]>,
    private readonly batchMax: number,
    private readonly queueMax: number,
  ) {}

  /** Reserves through the SKU's queue; the command has exactly one line. */
  submit(command: ReserveCommand): Promise<ReserveResponse> {
    const sku = command.lines[0]!.sku;
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(sku);
      if (queue && queue.length >= this.queueMax) {
        reject(new ServiceError({
          reason: "OVERLOADED",
          message: `too many reservations are waiting for SKU ${JSON.stringify(sku)}; retry with the same request_id`,
          metadata: { sku, waiting: String(queue.length) },
        }));
        return;
      }
      if (queue) {
        queue.push({ command, resolve, reject });
        return;
      }
      this.queues.set(sku, [{ command, resolve, reject }]);
      void this.drain(sku);
    });
  }

  private async drain(sku: string): Promise<void> {
    const queue = this.queues.get(sku)!;
    while (queue.length > 0) {
      const batch = queue.splice(0, this.batchMax);
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
    this.queues.delete(sku);
  }
}
