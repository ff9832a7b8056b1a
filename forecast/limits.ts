// Every limit and tuning constant of the forecast worker, with its unit, in one place.

// R's optim(method = "L-BFGS-B") defaults, which HoltWinters relies on: changing any of them
// moves the fitted parameters away from R's.
/** Correction pairs kept by L-BFGS-B (optim's lmm). */
export const rOptimMemory = 5;
/** Relative-reduction stopping factor, in units of machine epsilon (optim's factr). */
export const rOptimFactr = 1e7;
/** Iterations of one search (optim's maxit). */
export const rOptimIterationsMax = 100;
/** Finite-difference step of the numerical gradient, in parameter units (optim's ndeps). */
export const rOptimGradientStep = 1e-3;
/** Function evaluations of one L-BFGS-B line search before it gives up (lnsrlb). */
export const rLineSearchEvaluationsMax = 20;
/** Its sufficient-decrease, curvature and interval tolerances (dimensionless, lnsrlb). */
export const rLineSearchTolerances = { ftol: 1e-3, gtol: 0.9, xtol: 0.1 } as const;

// Numerics.
/** Terms of the erf series and of the erfc continued fraction; both converge far sooner. */
export const erfSeriesTermsMax = 200;
export const erfcFractionTermsMax = 500;
/** Units by which a float may miss a whole number and still count as it (rounding noise). */
export const wholeUnitTolerance = 1e-9;
/** Likewise for periods, when a duration is converted into whole periods. */
export const wholePeriodTolerance = 1e-9;

// Input.
/** Characters in a series_id. */
export const seriesIdLengthMax = 128;
/** Periods in one series (about 55 years of days): bounds memory for a mistyped date. */
export const seriesPeriodsMax = 20_000;
/** Units sold in one period. */
export const unitsPerPeriodMax = 1_000_000_000_000;

// Classification (Syntetos, Boylan and Croston 2005).
/** Periods per demand at or above which demand is intermittent. */
export const adiCutoff = 1.32;
/** Squared coefficient of variation of demand sizes at or above which demand is erratic. */
export const cv2Cutoff = 0.49;

// Intermittent methods: the grids their smoothing constants are chosen from (dimensionless).
export const sbaAlphaGrid: readonly number[] = [0.05, 0.1, 0.15, 0.2, 0.3];
export const tsbAlphaGrid: readonly number[] = [0.05, 0.1, 0.2, 0.3];
export const tsbBetaGrid: readonly number[] = [0.02, 0.05, 0.1, 0.2, 0.3];

// Buffer.
/**
 * Most recent past errors (one per origin, so periods) the buffer is taken from: three yearly
 * cycles of months or weeks, a year of days.
 */
export const errorWindowPeriods = { day: 364, week: 156, month: 36 } as const;
/** Past errors needed to use their empirical quantile rather than the normal formula. */
export const empiricalErrorsMin = 20;
/**
 * Past errors from the coming interval's season (calendar quarter) needed to use them alone:
 * three past quarters of weeks. Months never have that many inside their window; weeks do
 * after about six years of history, days after a few months.
 */
export const seasonErrorsMin = 36;

// Backtest.
/** Rolling origins evaluated per series, by period kind. */
export const backtestOrigins = { day: 28, week: 26, month: 12 } as const;
/** Periods of history a backtest origin needs before it. */
export const backtestTrainingPeriodsMin = 2;

// Requests.
/** Periods in one protection interval (lead time + review), two years of days. */
export const protectionPeriodsMax = 730;
