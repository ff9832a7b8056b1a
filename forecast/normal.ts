// The standard normal distribution to full double precision: the quantile by Wichura's
// algorithm AS 241 (PPND16, relative error about 1e-16), and the CDF from erfc (a positive
// series near zero, a continued fraction in the tails) for checking it.
import { erfcFractionTermsMax, erfSeriesTermsMax } from "./limits.js";

const a = [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727];
const b = [1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561];
const c = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4];
const d = [1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9];
const e = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7];
const f = [1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15];

function horner(coefficients: readonly number[], x: number): number {
  let v = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) v = v * x + (coefficients[i] as number);
  return v;
}

/** z with P(Z <= z) = p for a standard normal Z; -Infinity at 0, Infinity at 1, NaN outside. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * horner(a, r)) / horner(b, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let z: number;
  if (r <= 5) {
    r -= 1.6;
    z = horner(c, r) / horner(d, r);
  } else {
    r -= 5;
    z = horner(e, r) / horner(f, r);
  }
  return q < 0 ? -z : z;
}

/** P(Z <= x) for a standard normal Z. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** The complementary error function, to about 1e-15 relative where it is not tiny. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) return 1 - erfSeries(x);
  return erfcContinuedFraction(x);
}

// erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)): every term positive.
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < erfSeriesTermsMax && term > sum * 1e-17; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}

// erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), by Lentz's method.
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let fraction = x;
  let cc = x;
  let dd = 0;
  for (let k = 1; k < erfcFractionTermsMax; k++) {
    const an = k / 2;
    dd = x + an * dd;
    dd = 1 / (Math.abs(dd) < tiny ? tiny : dd);
    cc = x + an / cc;
    if (Math.abs(cc) < tiny) cc = tiny;
    const delta = cc * dd;
    fraction *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}
