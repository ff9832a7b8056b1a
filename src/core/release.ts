// Decides the effect of releasing a reservation. Pure.
import type { ReleaseReasonName, StateName } from "./commands.js";
import { fail, ok, type Result } from "./failure.js";

export interface HeldLine { sku: string; warehouseId: string; reserved: number }

/** A change to one stock level's counters. */
export interface StockDelta { sku: string; warehouseId: string; onHandDelta: number; reservedDelta: number }

export function decideRelease(
  reservation: { reservationId: string; state: StateName; releaseReason: ReleaseReasonName | null },
  reason: ReleaseReasonName,
  lines: HeldLine[],
): Result<StockDelta[]> {
  if (reservation.state === "RELEASED") {
    return fail({
      reason: "ALREADY_RELEASED",
      message: `reservation ${reservation.reservationId} was already released (${reservation.releaseReason})`,
      metadata: { reservation_id: reservation.reservationId, release_reason: reservation.releaseReason ?? "" },
    });
  }
  if (reason === "SHIPPED" && !lines.some((l) => l.reserved > 0)) {
    return fail({
      reason: "NOTHING_HELD",
      message: `reservation ${reservation.reservationId} holds no units yet: cancel it instead of shipping`,
      metadata: { reservation_id: reservation.reservationId, state: reservation.state },
    });
  }
  // Shipped units leave the building: they go from on_hand and reserved together. Cancelled
  // units stay on the shelf and become available again.
  return ok(
    lines
      .filter((l) => l.reserved > 0)
      .map((l) => ({ sku: l.sku, warehouseId: l.warehouseId, onHandDelta: reason === "SHIPPED" ? -l.reserved : 0, reservedDelta: -l.reserved })),
  );
}
