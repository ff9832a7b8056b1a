// Limits and constants of the worker's database layer (import, run, schedule), with units.

/** Stock levels read per page of a run (keyset pagination by sku, warehouse). */
export const stockLevelsPageMax = 200;
/** Days of sales history a run reads per stock level and for ABC classes (six years). */
export const historyDaysMax = 6 * 366;
/** Periods of history stored with a proposal, for planners (GetBufferProposal). */
export { proposalHistoryPeriodsMax } from "../src/limits.js";
/** Sales rows written per statement by an import. */
export const importRowsPerStatementMax = 5_000;
/** Times one stock level is tried again when its policy changed under the worker. */
export const stalePolicyAttemptsMax = 3;
/** Who the worker's own decisions are recorded as. */
export const workerName = "forecast-worker";
/**
 * The advisory lock that lets one worker run at a time, as pg_try_advisory_lock's two int4
 * keys: "STKH" and "FCST" in ASCII.
 */
export const runLockKeys = [0x53544b48, 0x46435354] as const;
/** Characters of the policy reason the worker writes (the API's limit for SetStockPolicy). */
export { policyReasonLengthMax } from "../src/limits.js";
