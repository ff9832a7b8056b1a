// Reconciliation: finds stock levels whose counters, ACTIVE lines and ledger disagree, repairs
// what a majority of those witnesses explains (by appending ledger entries, never editing them)
// and raises an alert for the rest. Records each run and its accuracy.
import { randomUUID } from "node:crypto";
import { accuracy, reconcileStockLevel } from "../core/reconcile.js";
import { insertAlert } from "../db/alert-repository.js";
import { appendReconcileEntry, insertReconciliationRun, lockWitnesses, readWitnessPage, type StockKey } from "../db/audit-repository.js";
import type { Orm } from "../db/orm.js";
import { auditKeysPageMax } from "../limits.js";
import type { Clock } from "./clock.js";
import { runTransaction } from "./idempotent.js";

export interface ReconciliationReport {
  runId: string;
  stockLevels: number;
  exact: number;
  repaired: { sku: string; warehouseId: string; action: string }[];
  unexplained: { sku: string; warehouseId: string; detail: string }[];
  /** Share of stock levels found exact before any repair: the reservation accuracy. */
  accuracy: number;
}

export async function reconcile(orm: Orm, clock: Clock): Promise<ReconciliationReport> {
  const startTime = clock.now();
  const runId = randomUUID();
  const report: ReconciliationReport = { runId, stockLevels: 0, exact: 0, repaired: [], unexplained: [], accuracy: 1 };
  let after: StockKey | null = null;
  for (;;) {
    const page = await readWitnessPage(orm.em.fork(), after, auditKeysPageMax);
    for (const seen of page) {
      report.stockLevels++;
      if (reconcileStockLevel(seen).kind === "exact") {
        report.exact++;
        continue;
      }
      // Live traffic moves the witnesses between the unlocked read and now: decide again under the lock.
      await runTransaction(orm, async (em) => {
        const w = await lockWitnesses(em, seen);
        if (!w) return;
        const verdict = reconcileStockLevel(w);
        const time = clock.now();
        const requestId = `reconcile:${runId}`;
        switch (verdict.kind) {
          case "exact":
            report.exact++;
            return;
          case "append_ledger":
            await appendReconcileEntry(em, w, { reservedDelta: verdict.reservedDelta, setReserved: null }, { witnesses: w, repair: "ledger brought level with counters and lines" }, requestId, time);
            report.repaired.push({ sku: w.sku, warehouseId: w.warehouseId, action: `ledger reserved ${verdict.reservedDelta > 0 ? "+" : ""}${verdict.reservedDelta}` });
            return;
          case "restore_counter":
            await appendReconcileEntry(em, w, { reservedDelta: 0, setReserved: verdict.reserved }, { witnesses: w, repair: `reserved restored from ${w.counterReserved} to ${verdict.reserved}` }, requestId, time);
            report.repaired.push({ sku: w.sku, warehouseId: w.warehouseId, action: `reserved ${w.counterReserved} -> ${verdict.reserved}` });
            return;
          case "unexplained":
            await insertAlert(em, {
              kind: "COUNTER_DRIFT", sku: w.sku, warehouseId: w.warehouseId,
              unitsShort: Math.max(Math.abs(w.counterOnHand - w.ledgerOnHand), Math.abs(w.counterReserved - w.linesReserved)),
              affected: [], message: `reconciliation cannot explain ${w.sku} in ${w.warehouseId}: ${verdict.detail}`, requestId, time,
            });
            report.unexplained.push({ sku: w.sku, warehouseId: w.warehouseId, detail: verdict.detail });
        }
      });
    }
    if (page.length < auditKeysPageMax) break;
    after = page[page.length - 1]!;
  }
  report.accuracy = accuracy(report.exact, report.stockLevels);
  await insertReconciliationRun(orm.em.fork(), {
    runId, startTime, finishTime: clock.now(), stockLevels: report.stockLevels, exact: report.exact,
    repaired: report.repaired.length, unexplained: report.unexplained.length, accuracy: report.accuracy,
  });
  return report;
}
