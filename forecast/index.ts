// The forecast core's public surface, for the worker's database layer (issue 4, part 2).
// Everything here is pure and synchronous: load rows, call these, write the results.
export { proposeBuffer, type BufferProposal, type BufferRationale, type BufferRequest, type ProposeResult } from "./propose.js";
export { parseSalesCsv, seriesFromPoints, type ParseResult, type Series, type SeriesKey } from "./series.js";
export { parseSalesRows, type CsvFormat, type RowError, type RowsResult, type SalesRow } from "./sales-rows.js";
export { aggregateDaily } from "./aggregate.js";
export { formatPeriod, parsePeriod, periodsCovering, type PeriodKind } from "./period.js";
export { backtest, backtestSeries, type BacktestOptions, type BacktestReport } from "./backtest.js";
export type { Protection } from "./plan.js";
export type { Metrics } from "./metrics.js";
