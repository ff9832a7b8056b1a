// Who gets scarce units: the fill of waiting orders and the demotion after a shortfall. Pure.
import type { PriorityName } from "./commands.js";
import { availableFor, type StockCounters } from "./stock.js";

/** Queue order: VIP before standard, then by arrival. */
export const priorityRank: Record<PriorityName, number> = { VIP: 0, STANDARD: 1 };

export interface QueuedLine {
  reservationId: string;
  lineIndex: number;
  priority: PriorityName;
  /** Arrival order of the reservation (its sequence number). */
  seq: bigint;
  /** Units still waiting (for fills) or held (for demotions). */
  units: number;
}

export interface LineGrant { reservationId: string; lineIndex: number; units: number }

function byQueueOrder(a: QueuedLine, b: QueuedLine): number {
  return priorityRank[a.priority] - priorityRank[b.priority] || (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0);
}

/**
 * Fills waiting lines as a prefix grant: in queue order, each line gets what is left for its
 * priority (standard lines never take held-back units). Partial grants are allowed, since an
 * all-or-nothing rule would strand the last units.
 */
export function planFill(stock: Pick<StockCounters, "onHand" | "reserved" | "safetyBuffer" | "minStock">, waiting: QueuedLine[]): LineGrant[] {
  const grants: LineGrant[] = [];
  let reserved = stock.reserved;
  for (const line of [...waiting].sort(byQueueOrder)) {
    const units = Math.min(line.units, availableFor({ ...stock, reserved }, line.priority));
    if (units <= 0) continue;
    grants.push({ reservationId: line.reservationId, lineIndex: line.lineIndex, units });
    reserved += units;
  }
  return grants;
}

/**
 * After stock left physically, takes held units back from the lowest-priority, newest lines
 * until reserved fits in on_hand again. Returns the units taken per line; the caller passes
 * lines in any order, and as many as it has loaded: the rest of the shortfall is reported.
 */
export function planDemotion(onHandAfter: number, reserved: number, held: QueuedLine[]): { demotions: LineGrant[]; unitsShort: number; uncovered: number } {
  const unitsShort = Math.max(0, reserved - onHandAfter);
  const demotions: LineGrant[] = [];
  let remaining = unitsShort;
  for (const line of [...held].sort((a, b) => -byQueueOrder(a, b))) {
    if (remaining === 0) break;
    const units = Math.min(line.units, remaining);
    if (units <= 0) continue;
    demotions.push({ reservationId: line.reservationId, lineIndex: line.lineIndex, units });
    remaining -= units;
  }
  return { demotions, unitsShort, uncovered: remaining };
}
