// Alerts raised for people: written in the transaction that found the problem.
import { randomUUID } from "node:crypto";
import { Alert } from "./entities.js";
import type { Em } from "./orm.js";

export interface NewAlert {
  kind: "RESERVATIONS_AT_RISK" | "COUNTER_DRIFT";
  sku: string;
  warehouseId: string;
  unitsShort: number;
  affected: { reservationId: string; orderId: string; units: number }[];
  message: string;
  requestId: string;
  time: Date;
}

export async function insertAlert(em: Em, alert: NewAlert): Promise<string> {
  const alertId = randomUUID();
  await em.execute(
    `INSERT INTO alert (alert_id, kind, sku, warehouse_id, units_short, affected, message, request_id, create_time) VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)`,
    [alertId, alert.kind, alert.sku, alert.warehouseId, alert.unitsShort, JSON.stringify(alert.affected), alert.message, alert.requestId, alert.time],
  );
  return alertId;
}

export interface AlertRow {
  alertId: string; seq: string; kind: string; sku: string; warehouseId: string; unitsShort: number;
  affected: { reservationId: string; orderId: string; units: number }[]; message: string; createTime: Date;
}

/** Newest first, before the given seq. */
export async function listAlerts(em: Em, filter: { sku: string | null; warehouseId: string | null }, beforeSeq: string | null, limit: number): Promise<AlertRow[]> {
  const qb = em.createQueryBuilder(Alert, "a").select("*").orderBy({ seq: "desc" }).limit(limit);
  if (filter.sku !== null) qb.andWhere({ sku: filter.sku });
  if (filter.warehouseId !== null) qb.andWhere({ warehouseId: filter.warehouseId });
  if (beforeSeq !== null) qb.andWhere({ seq: { $lt: beforeSeq } });
  const rows = await qb.getResultList();
  return rows.map((r) => ({
    alertId: r.alertId, seq: String(r.seq), kind: r.kind, sku: r.sku, warehouseId: r.warehouseId, unitsShort: r.unitsShort,
    affected: r.affected, message: r.message, createTime: r.createTime,
  }));
}
