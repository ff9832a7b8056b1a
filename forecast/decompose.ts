// Holt-Winters start values exactly as R's HoltWinters derives them: stats::decompose of the
// first two cycles (centred moving average, then the mean seasonal figure), and a least-squares
// line through the moving average for the level and trend.
import type { HwState } from "./holt-winters.js";
import type { Seasonality } from "./holt-winters.js";

/** Start values from the window (length = 2 cycles); null when the figure is undefined. */
export function decomposeStart(window: readonly number[], period: number, seasonality: Seasonality): HwState | null {
  const trend = centredMovingAverage(window, period);
  const figure = seasonalFigure(window, trend, period, seasonality);
  if (figure === null) return null;
  const defined = trend.filter((v): v is number => v !== null);
  const line = leastSquaresLine(defined);
  return { level: line.intercept, trend: line.slope, season: figure };
}

/**
 * R's filter(x, c(0.5, 1, ..., 1, 0.5) / m) for even m, rep(1/m, m) for odd m, sides = 2:
 * null where the window does not fit.
 */
export function centredMovingAverage(x: readonly number[], m: number): (number | null)[] {
  const weights = m % 2 === 0 ? [0.5, ...Array<number>(m - 1).fill(1), 0.5].map((w) => w / m) : Array<number>(m).fill(1 / m);
  const half = Math.floor(weights.length / 2);
  const out: (number | null)[] = [];
  for (let t = 0; t < x.length; t++) {
    if (t - half < 0 || t + half >= x.length) {
      out.push(null);
      continue;
    }
    // R's convolution runs the filter backwards over x: y[t] = sum_j w[j] x[t + half - j].
    let acc = 0;
    for (let j = 0; j < weights.length; j++) acc += (weights[j] as number) * (x[t + half - j] as number);
    out.push(acc);
  }
  return out;
}

function seasonalFigure(x: readonly number[], trend: readonly (number | null)[], m: number, seasonality: Seasonality): number[] | null {
  const figure: number[] = [];
  for (let i = 0; i < m; i++) {
    let acc = 0;
    let count = 0;
    for (let t = i; t < x.length; t += m) {
      const tr = trend[t];
      if (tr === null || tr === undefined) continue;
      const v = seasonality === "additive" ? (x[t] as number) - tr : (x[t] as number) / tr;
      if (!Number.isFinite(v)) return null;
      acc += v;
      count++;
    }
    if (count === 0) return null;
    figure.push(acc / count);
  }
  const mean = figure.reduce((a, b) => a + b, 0) / m;
  if (seasonality === "multiplicative" && !(mean > 0)) return null;
  return figure.map((f) => (seasonality === "additive" ? f - mean : f / mean));
}

/** y = intercept + slope * k for k = 1..n, as R's .lm.fit(cbind(1, seq_along(y)), y). */
function leastSquaresLine(y: readonly number[]): { intercept: number; slope: number } {
  const n = y.length;
  const kMean = (n + 1) / 2;
  const yMean = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let k = 1; k <= n; k++) {
    const dk = k - kMean;
    sxy += dk * ((y[k - 1] as number) - yMean);
    sxx += dk * dk;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { intercept: yMean - slope * kMean, slope };
}
