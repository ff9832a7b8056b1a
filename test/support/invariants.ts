// Checks design.md's invariants on the database itself, with SQL independent of the service code.
import type { TestDatabase } from "./database.js";

export interface InvariantReport {
  /** Stock levels whose reserved differs from the sum of their ACTIVE lines (I1). */
  reservedMismatches: unknown[];
  /** Stock levels outside 0 <= reserved <= on_hand (I2). */
  counterViolations: unknown[];
  /** Stock levels whose ledger, replayed from zero, gives other counters (I4). */
  ledgerMismatches: unknown[];
}

export async function checkInvariants(db: TestDatabase): Promise<InvariantReport> {
  const reservedMismatches = await db.query(`
    SELECT s.sku, s.warehouse_id, s.reserved, COALESCE(l.active, 0) AS active_lines
      FROM stock_level s
      LEFT JOIN (SELECT rl.sku, rl.warehouse_id, SUM(rl.reserved) AS active
                   FROM reservation_line rl JOIN reservation r USING (reservation_id)
                  WHERE r.state = 'ACTIVE' GROUP BY rl.sku, rl.warehouse_id) l USING (sku, warehouse_id)
     WHERE s.reserved <> COALESCE(l.active, 0)`);
  const counterViolations = await db.query(`SELECT sku, warehouse_id, on_hand, reserved FROM stock_level WHERE reserved < 0 OR reserved > on_hand`);
  const ledgerMismatches = await db.query(`
    SELECT s.sku, s.warehouse_id, s.on_hand, s.reserved, COALESCE(g.on_hand, 0) AS ledger_on_hand, COALESCE(g.reserved, 0) AS ledger_reserved
      FROM stock_level s
      LEFT JOIN (SELECT sku, warehouse_id, SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved
                   FROM ledger_entry GROUP BY sku, warehouse_id) g USING (sku, warehouse_id)
     WHERE s.on_hand <> COALESCE(g.on_hand, 0) OR s.reserved <> COALESCE(g.reserved, 0)`);
  return { reservedMismatches, counterViolations, ledgerMismatches };
}

export const noViolations: InvariantReport = { reservedMismatches: [], counterViolations: [], ledgerMismatches: [] };
