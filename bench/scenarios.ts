// The benchmark's scenarios: what each line seeds, and what one operation of a load generator
// sends. Every line has its own SKUs (`<line>-<n>`) in its own warehouse (`bench-<line>`), so
// its audit can be exact while the database keeps the other lines' rows.
import { Priority, ReleaseReason } from "../src/gen/inventory/v1/reservation.js";
import type { ReserveRequest } from "../src/gen/inventory/v1/reservation_service.js";

export const scenarioNames = ["spread", "hot", "hot-scarce", "mixed", "orders", "batch"] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** SKUs of the spread scenario, and units on each: no call should find a SKU short. */
export const spreadSkuCount = 100_000;
export const hotUnits = 1_000_000;
export const hotScarceUnits = 1_000;
/** Mixed: reserve and release over this many SKUs. */
export const mixedSkuCount = 1_000;
/** Orders: 5 distinct lines over this few SKUs, so concurrent orders overlap. */
export const ordersSkuCount = 200;
export const ordersLineCount = 5;
export const ordersQuantityMax = 3;
/** Units per SKU where none should run out. */
export const plentyUnits = 1_000_000;
/** Batch: single-line Reserve requests of 1 unit in one BatchReserve call (issue 5's goal). */
export const batchReservationsPerCall = 100;
/** Batch: units of its one hot SKU, so that no reservation is refused (200 s at 50,000/s). */
export const batchUnits = 10_000_000;

/** What one operation can do; the worker records and accounts every call. */
export interface OpContext {
  /** A reservation request with a fresh request_id; lines given as [sku index, quantity]. */
  request(lines: [number, number][]): ReserveRequest;
  reserve(request: ReserveRequest): Promise<{ reservationId: string; units: number } | null>;
  /**
   * One BatchReserve call of these requests: the reservations its results hold (failed results
   * are left out), or null when the call itself failed.
   */
  batchReserve(requests: ReserveRequest[]): Promise<{ reservationId: string; units: number }[] | null>;
  release(reservationId: string, units: number, reason: "SHIPPED" | "CANCELLED"): Promise<boolean>;
  /** Uniform in [0, 1), from the worker's seeded generator. */
  random(): number;
  /** The operation's ordinal in this worker. */
  ordinal: number;
}

export interface Scenario {
  name: ScenarioName;
  description: string;
  skuCount: number;
  unitsPerSku: number;
  /** Failures that are this scenario's clean, expected outcome ("<code>/<reason>"). */
  expectedRejections: string[];
  /** The scenario sells out: once a call was refused, every unit must be reserved. */
  sellsOut: boolean;
  /** Strategies this scenario does not run on, each with why (printed, and kept in the JSON). */
  notFor?: Record<string, string>;
  op(ctx: OpContext): Promise<void>;
}

const pick = (ctx: OpContext, n: number): number => Math.floor(ctx.random() * n);

export const scenarios: Record<ScenarioName, Scenario> = {
  spread: {
    name: "spread",
    description: `single-line reserves of 1 unit, uniform over ${spreadSkuCount.toLocaleString("en")} SKUs`,
    skuCount: spreadSkuCount, unitsPerSku: plentyUnits, expectedRejections: [], sellsOut: false,
    async op(ctx) {
      await ctx.reserve(ctx.request([[pick(ctx, spreadSkuCount), 1]]));
    },
  },
  hot: {
    name: "hot",
    description: `every call reserves 1 unit of one SKU with ${hotUnits.toLocaleString("en")} units`,
    skuCount: 1, unitsPerSku: hotUnits, expectedRejections: [], sellsOut: false,
    async op(ctx) {
      await ctx.reserve(ctx.request([[0, 1]]));
    },
  },
  "hot-scarce": {
    name: "hot-scarce",
    description: `every call reserves 1 unit of one SKU with ${hotScarceUnits.toLocaleString("en")} units: most are refused`,
    skuCount: 1, unitsPerSku: hotScarceUnits, expectedRejections: ["FAILED_PRECONDITION/INSUFFICIENT_STOCK"], sellsOut: true,
    async op(ctx) {
      await ctx.reserve(ctx.request([[0, 1]]));
    },
  },
  mixed: {
    name: "mixed",
    description: `reserve 1 unit over ${mixedSkuCount.toLocaleString("en")} SKUs, then release it: every other one shipped, the rest cancelled`,
    skuCount: mixedSkuCount, unitsPerSku: plentyUnits, expectedRejections: [], sellsOut: false,
    async op(ctx) {
      const held = await ctx.reserve(ctx.request([[pick(ctx, mixedSkuCount), 1]]));
      if (held) await ctx.release(held.reservationId, held.units, ctx.ordinal % 2 === 0 ? "SHIPPED" : "CANCELLED");
    },
  },
  orders: {
    name: "orders",
    description: `${ordersLineCount}-line orders (1-${ordersQuantityMax} units a line) over ${ordersSkuCount} overlapping SKUs`,
    skuCount: ordersSkuCount, unitsPerSku: plentyUnits, expectedRejections: [], sellsOut: false,
    async op(ctx) {
      const chosen = new Set<number>();
      while (chosen.size < ordersLineCount) chosen.add(pick(ctx, ordersSkuCount));
      // Lines in random order: the service must sort its locks itself.
      await ctx.reserve(ctx.request([...chosen].map((i) => [i, 1 + pick(ctx, ordersQuantityMax)])));
    },
  },
  batch: {
    name: "batch",
    description: `BatchReserve calls of ${batchReservationsPerCall} independent reserves of 1 unit, each its own request_id, on one SKU with ${batchUnits.toLocaleString("en")} units`,
    skuCount: 1, unitsPerSku: batchUnits, expectedRejections: [], sellsOut: false,
    // src/server.ts: STOCKHOLD_RESERVE_STRATEGY picks how Reserve is served; BatchReserve is the
    // same reserveBatch engine under every strategy, so row-locking is no baseline for it.
    notFor: { "row-locking": "BatchReserve does not use the row-locking strategy: the server answers it with the same engine as coalesced" },
    async op(ctx) {
      await ctx.batchReserve(Array.from({ length: batchReservationsPerCall }, () => ctx.request([[0, 1]])));
    },
  },
};

export const skuName = (line: string, index: number): string => `${line}-${index}`;
export const warehouseName = (line: string): string => `bench-${line}`;

export function reserveRequest(line: string, requestId: string, lines: [number, number][]): ReserveRequest {
  return {
    requestId,
    orderId: requestId,
    customerId: "bench",
    channel: "bench",
    priority: Priority.PRIORITY_STANDARD,
    allowPartial: false,
    waitForStock: false,
    lines: lines.map(([i, q]) => ({ sku: skuName(line, i), quantity: String(q), warehouseId: "" })),
  };
}

export const releaseReasonEnum = { SHIPPED: ReleaseReason.RELEASE_REASON_SHIPPED, CANCELLED: ReleaseReason.RELEASE_REASON_CANCELLED } as const;
