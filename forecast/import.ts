// Writes an import plan to sales_history: in one transaction, and only if every warehouse it
// names exists (else nothing is written and each unknown warehouse is named).
import { runTransaction } from "../src/app/idempotent.js";
import type { Orm } from "../src/db/orm.js";
import { replaceSales } from "../src/db/sales-repository.js";
import { existingWarehouseIds } from "../src/db/stock-repository.js";
import type { RowError } from "./series.js";
import type { ImportPlan } from "./import-plan.js";
import { importRowsPerStatementMax } from "./worker-limits.js";

export type ImportResult = { ok: true; rows: number } | { ok: false; errors: RowError[] };

class UnknownWarehouses extends Error {
  constructor(readonly errors: RowError[]) {
    super("unknown warehouses");
  }
}

export async function importSales(orm: Orm, plan: ImportPlan): Promise<ImportResult> {
  try {
    return await runTransaction(orm, async (em) => {
      const known = await existingWarehouseIds(em, [...plan.warehouses.keys()]);
      const unknown = [...plan.warehouses].filter(([id]) => !known.has(id));
      if (unknown.length > 0) {
        throw new UnknownWarehouses(unknown.map(([id, line]) => ({
          line, message: `warehouse ${JSON.stringify(id)}${line === 0 ? " (--warehouse)" : ""} does not exist: create it with CreateWarehouse first`,
        })));
      }
      for (let i = 0; i < plan.rows.length; i += importRowsPerStatementMax) await replaceSales(em, plan.rows.slice(i, i + importRowsPerStatementMax));
      return { ok: true, rows: plan.rows.length } as const;
    });
  } catch (error) {
    if (error instanceof UnknownWarehouses) return { ok: false, errors: error.errors };
    throw error;
  }
}
