// Decides what reconciliation does with one stock level from three witnesses: the counters,
// the ACTIVE lines (for reserved) and the ledger replay. Pure.

export interface Witnesses {
  counterOnHand: number;
  counterReserved: number;
  /** Units held by live lines of ACTIVE reservations. */
  linesReserved: number;
  ledgerOnHand: number;
  ledgerReserved: number;
}

export type Verdict =
  | { kind: "exact" }
  /** Counters and lines agree; the ledger lost track: append an entry that brings it level. */
  | { kind: "append_ledger"; reservedDelta: number }
  /** Ledger and lines agree; the counter drifted: set it back, recording the repair. */
  | { kind: "restore_counter"; reserved: number }
  /** No majority, or on_hand disagrees (it has no third witness): a person must look. */
  | { kind: "unexplained"; detail: string };

export function reconcileStockLevel(w: Witnesses): Verdict {
  const onHandAgrees = w.counterOnHand === w.ledgerOnHand;
  const counterOk = w.counterReserved === w.linesReserved;
  const ledgerOk = w.ledgerReserved === w.linesReserved;
  if (onHandAgrees && counterOk && ledgerOk) return { kind: "exact" };
  if (!onHandAgrees) {
    return { kind: "unexplained", detail: `on_hand is ${w.counterOnHand} but the ledger replays to ${w.ledgerOnHand}` };
  }
  if (counterOk) return { kind: "append_ledger", reservedDelta: w.counterReserved - w.ledgerReserved };
  if (ledgerOk && w.linesReserved <= w.counterOnHand) return { kind: "restore_counter", reserved: w.linesReserved };
  return {
    kind: "unexplained",
    detail: `reserved is ${w.counterReserved}, ACTIVE lines hold ${w.linesReserved}, the ledger replays to ${w.ledgerReserved}`,
  };
}

/** Share of stock levels found exact; 1 when there are none. */
export function accuracy(exact: number, total: number): number {
  return total === 0 ? 1 : exact / total;
}
