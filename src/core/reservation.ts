// A reservation's derived facts: its state from its lines, and the sentence an agent reads out.
import type { PriorityName, ReleaseReasonName, StateName } from "./commands.js";

export interface ReservationRecord {
  reservationId: string;
  orderId: string;
  customerId: string;
  channel: string;
  priority: PriorityName;
  state: StateName;
  releaseReason: ReleaseReasonName | null;
  waitForStock: boolean;
  expireTime: Date | null;
  createTime: Date;
  updateTime: Date;
}

export interface LineRecord {
  lineIndex: number;
  sku: string;
  warehouseId: string;
  requested: number;
  reserved: number;
  /** Units still waiting for stock. */
  waiting: number;
  /** When the waiting units are expected; null when nothing waits or no lead time is known. */
  expectedTime: Date | null;
}

/** A live reservation is ACTIVE while it holds any unit, PENDING while it only waits. */
export function liveState(lines: Pick<LineRecord, "reserved">[]): StateName {
  return lines.some((l) => l.reserved > 0) ? "ACTIVE" : "PENDING";
}

/** When waiting units are expected: from now plus the lead time, if one is known. */
export function expectedTime(now: Date, leadTimeMs: number): Date | null {
  return leadTimeMs > 0 ? new Date(now.getTime() + leadTimeMs) : null;
}

export function isExpired(r: Pick<ReservationRecord, "expireTime" | "state">, now: Date): boolean {
  return r.state !== "RELEASED" && r.expireTime !== null && r.expireTime.getTime() <= now.getTime();
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

/** What happened, in words a customer service agent can pass on. */
export function summarize(r: ReservationRecord, lines: LineRecord[]): string {
  const parts = [...lines].sort((a, b) => a.lineIndex - b.lineIndex).map((l) => {
    let text = `${l.sku}: ${l.reserved} of ${l.requested} reserved in ${l.warehouseId}`;
    if (l.waiting > 0) text += `, ${l.waiting} waiting${l.expectedTime ? `, expected ${day(l.expectedTime)}` : " (no expected date: no lead time set)"}`;
    return `${text}.`;
  });
  if (r.state === "RELEASED") return `Released (${(r.releaseReason ?? "").toLowerCase()}). ${parts.join(" ")}`;
  const hold = r.expireTime ? ` Held until ${r.expireTime.toISOString()} unless extended or confirmed.` : "";
  const lead = r.state === "PENDING" ? "Waiting for stock; nothing is held yet. " : "";
  return `${lead}${parts.join(" ")}${hold}`;
}
