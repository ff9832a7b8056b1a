// Every limit of the service, with its unit, in one place.

/** Characters in a request_id (AIP-155). */
export const requestIdLengthMax = 64;
/** Characters in a warehouse_id. */
export const warehouseIdLengthMax = 64;
/** Characters in a warehouse display name. */
export const displayNameLengthMax = 200;
/** Characters in a region label. */
export const regionLengthMax = 64;
/** Characters in a SKU. */
export const skuLengthMax = 128;
/** Characters in an order_id or customer_id. */
export const orderIdLengthMax = 128;
/** Characters in a channel label. */
export const channelLengthMax = 64;
/** Lines in one Reserve call. */
export const reserveLinesMax = 100;
/** SKUs in one BatchGetAvailability call. */
export const batchAvailabilitySkusMax = 100;
/**
 * Units in one quantity, count or delta. Keeps every counter sum far inside 2^53, so
 * JavaScript numbers hold them exactly, while staying far above any real stock.
 */
export const unitsMax = 1_000_000_000_000;
/** ListReservations page size when the caller sends 0 (AIP-158). */
export const pageSizeDefault = 50;
/** ListReservations page size ceiling; larger requests are lowered to it (AIP-158). */
export const pageSizeMax = 500;
/** Attempts of one Reserve transaction when a concurrent writer changed a row it had read. */
export const reserveAttemptsMax = 3;
/** Database connections per server process (the embedded database takes exactly one). */
export const databasePoolSizeMax = 10;
/** Milliseconds a graceful shutdown waits for in-flight calls before it forces them closed. */
export const shutdownDrainMsMax = 10_000;
/** Bytes in one received gRPC message. */
export const grpcReceiveMessageBytesMax = 4 * 1024 * 1024;
/** Shortest hold ttl, milliseconds. */
export const ttlMsMin = 1_000;
/** Longest hold ttl, milliseconds (7 days). */
export const ttlMsMax = 7 * 24 * 3600 * 1000;
/** Longest replenishment lead time, milliseconds (365 days). */
export const leadTimeMsMax = 365 * 24 * 3600 * 1000;
/** Characters in a policy change reason. */
export const policyReasonLengthMax = 200;
/** Waiting lines loaded per round of a fill, and rounds per fill: bounds one transaction. */
export const fillBatchLinesMax = 500;
export const fillRoundsMax = 20;
/** Held lines loaded per round of a demotion after a shortfall, and rounds per demotion. */
export const demotionBatchLinesMax = 500;
export const demotionRoundsMax = 100;
/** Expired holds released per sweeper transaction. */
export const expirySweepBatchMax = 200;
/** Milliseconds between two runs of the expiry sweeper. */
export const expirySweepIntervalMs = 1_000;
/** Milliseconds a call waits for a pool connection before it fails UNAVAILABLE. */
export const databaseAcquireTimeoutMs = 10_000;
/**
 * Milliseconds a statement may wait for a row lock, and run at all, before the database cancels
 * it (longer than the acquire timeout, so a queue at the pool fails before the lock holder).
 */
export const databaseLockTimeoutMs = 15_000;
export const databaseStatementTimeoutMs = 30_000;
/** Transaction attempts after a deadlock or serialization failure. */
export const transactionAttemptsMax = 4;
/** Stock levels read per page by the ledger audit and by reconciliation. */
export const auditKeysPageMax = 500;
/** Ledger entries read per page by the ledger audit. */
export const auditEntriesPageMax = 5_000;
/** Milliseconds between two reconciliation runs inside the service (15 minutes). */
export const reconcileIntervalMs = 15 * 60 * 1000;
/** Milliseconds between two database health probes, and the probe's own deadline. */
export const databaseProbeIntervalMs = 1_000;
export const databaseProbeTimeoutMs = 2_000;
/** Reservations in one BatchReserve call. */
export const batchReserveRequestsMax = 1_000;
/** Reserve calls the coalescer decides and writes together, in one batch of one lane. */
export const coalesceBatchMax = 500;
/** Reserve calls waiting in one lane of the coalescer before new ones are refused RESOURCE_EXHAUSTED. */
export const coalesceQueueMax = 20_000;
/**
 * Lanes of the coalescer: batches that may be written at once, each lane serving its share of
 * the SKUs (a SKU always goes to the same lane). Fewer than the pool's connections, which other
 * calls need too.
 */
export const coalesceLaneCount = 2;
/**
 * Batches of one lane written at once. With 2, the next batch reads and decides while the one
 * before holds the stock row, then waits for it (planning around its units:
 * src/app/in-flight-units.ts). Since a batch's write commits on its own, the row is held only for
 * that statement, and the waiting costs more than the overlap gains: 1 measured as fast or faster
 * on every hot and spread line, with less database CPU (BENCHMARKS.md). Measured again once a
 * batch on a cached SKU of one warehouse could go right behind the one writing it: still no
 * faster at 16 to 256 in flight on a hot SKU, with a third more database CPU.
 */
export const coalesceLaneDepth = 1;
/**
 * Calls of one SKU waiting in a shared lane that give it a lane of its own (a flash sale), so the
 * other SKUs of that lane do not wait behind it or share its queueMax.
 */
export const coalesceHotSkuWaiting = 64;
/**
 * SKUs with a lane of their own at once. With the shared lanes, at most (coalesceLaneCount +
 * coalesceHotLaneMax) * coalesceLaneDepth = 4 coalesced batches hold a connection, of
 * databasePoolSizeMax; BatchReserve and multi-line Reserve calls take batchCallsRunningMax besides.
 */
export const coalesceHotLaneMax = 2;
/**
 * BatchReserve and multi-line Reserve calls deciding and writing at once, each on a pool
 * connection of its own (src/app/admission.ts). With the coalescer's 4, 8 of the default pool's
 * 10: the others stay free for releases, reads and the rest, however many such calls arrive.
 */
export const batchCallsRunningMax = 4;
/**
 * Requests in those calls waiting for a place (a BatchReserve call counts its requests, a
 * multi-line order 1) before new calls are refused RESOURCE_EXHAUSTED (OVERLOADED).
 */
export const batchRequestsWaitingMax = 20_000;
/**
 * SKUs whose stock levels a server process keeps from its last read or write, so a batch on a
 * busy SKU can decide without reading them again (src/app/stock-cache.ts).
 */
export const stockCacheSkusMax = 10_000;
/**
 * Batches of a SKU that read rather than use the cache after its cached levels proved stale
 * (another process or path wrote them): each stale attempt is a write undone.
 */
export const stockCacheReadsAfterStale = 16;
/** Characters in the decided_by of a buffer proposal decision. */
export const decidedByLengthMax = 128;
/** Characters in the reason of a buffer proposal decision. */
export const decisionReasonLengthMax = 500;
/** Periods of history GetBufferProposal returns when asked for 0, and at most (the worker stores that many). */
export const proposalHistoryPeriodsDefault = 24;
export const proposalHistoryPeriodsMax = 36;
