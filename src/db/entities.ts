// MikroORM entities of the tables the ORM reads and writes directly. Counter updates on the hot
// path are single guarded statements in stock-repository.ts instead.
import { defineEntity, p } from "@mikro-orm/core";

export const Warehouse = defineEntity({
  name: "Warehouse",
  tableName: "warehouse",
  properties: {
    warehouseId: p.text().primary(),
    displayName: p.text(),
    region: p.text(),
    createTime: p.datetime().columnType("timestamptz"),
  },
});

export const StockLevel = defineEntity({
  name: "StockLevel",
  tableName: "stock_level",
  properties: {
    sku: p.text().primary(),
    warehouseId: p.text().primary(),
    onHand: p.bigint("number"),
    reserved: p.bigint("number"),
    safetyBuffer: p.bigint("number"),
    minStock: p.bigint("number"),
    leadTimeMs: p.bigint("number"),
    autoActivate: p.boolean(),
    policyUpdateTime: p.datetime().columnType("timestamptz").nullable(),
    version: p.bigint("number"),
    updateTime: p.datetime().columnType("timestamptz"),
  },
});

export const Reservation = defineEntity({
  name: "Reservation",
  tableName: "reservation",
  properties: {
    reservationId: p.uuid().primary(),
    seq: p.bigint("string"),
    requestId: p.text(),
    orderId: p.text(),
    customerId: p.text(),
    channel: p.text(),
    priority: p.text(),
    state: p.text(),
    releaseReason: p.text().nullable(),
    waitForStock: p.boolean(),
    expireTime: p.datetime().columnType("timestamptz").nullable(),
    createTime: p.datetime().columnType("timestamptz"),
    updateTime: p.datetime().columnType("timestamptz"),
  },
});

export const ReservationLine = defineEntity({
  name: "ReservationLine",
  tableName: "reservation_line",
  properties: {
    reservationId: p.uuid().primary(),
    lineIndex: p.integer().primary(),
    sku: p.text(),
    warehouseId: p.text(),
    requested: p.bigint("number"),
    reserved: p.bigint("number"),
    waiting: p.bigint("number"),
    expectedTime: p.datetime().columnType("timestamptz").nullable(),
    live: p.boolean(),
    queueRank: p.smallint(),
    queueSeq: p.bigint("string"),
  },
});

export const LedgerEntry = defineEntity({
  name: "LedgerEntry",
  tableName: "ledger_entry",
  properties: {
    seq: p.bigint("string").primary(),
    entryTime: p.datetime().columnType("timestamptz"),
    kind: p.text(),
    sku: p.text(),
    warehouseId: p.text(),
    onHandDelta: p.bigint("number"),
    reservedDelta: p.bigint("number"),
    onHandAfter: p.bigint("number"),
    reservedAfter: p.bigint("number"),
    reservationId: p.uuid().nullable(),
    requestId: p.text(),
    payload: p.json<Record<string, unknown>>(),
  },
});

export const Alert = defineEntity({
  name: "Alert",
  tableName: "alert",
  properties: {
    alertId: p.uuid().primary(),
    seq: p.bigint("string"),
    kind: p.text(),
    sku: p.text(),
    warehouseId: p.text(),
    unitsShort: p.bigint("number"),
    affected: p.json<{ reservationId: string; orderId: string; units: number }[]>(),
    message: p.text(),
    requestId: p.text(),
    createTime: p.datetime().columnType("timestamptz"),
  },
});

export const entities = [Warehouse, StockLevel, Reservation, ReservationLine, LedgerEntry, Alert];
