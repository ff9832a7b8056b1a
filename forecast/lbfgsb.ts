// L-BFGS-B (Byrd, Lu, Nocedal and Zhu 1995, version 2.3 as R's optim uses it) for a box of a few
// variables. Each iteration finds the generalized Cauchy point along the projected gradient,
// minimises the quasi-Newton model over the variables still free there (truncated to the box),
// and runs the Moré-Thuente line search along the result. The limited-memory matrix is formed
// densely from the stored pairs, which is the same matrix as the compact form for n this small.
// R's search stops early (factr) and on local optima, so its answer is reproduced only by taking
// the same path: same start, same gradient, same steps, same stopping rules.
import { rLineSearchEvaluationsMax, rLineSearchTolerances } from "./limits.js";
import { startLineSearch } from "./line-search.js";

export type ValueAndGradient = (x: readonly number[]) => { value: number; gradient: number[] };

export interface LbfgsbOptions {
  /** Correction pairs kept (R's lmm, default 5). */
  memory: number;
  /** Stop when the relative reduction of f is below factr * machine epsilon (R's default 1e7). */
  factr: number;
  /** Stop when the projected gradient's largest component is <= pgtol (R's default 0). */
  pgtol: number;
  /** Iterations (R's maxit, default 100). */
  iterationsMax: number;
}

export interface LbfgsbResult {
  x: number[];
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

const epsmch = Number.EPSILON;

/** Minimises f over lower <= x <= upper (both finite, lower < upper) from x0. */
export function lbfgsb(f: ValueAndGradient, x0: readonly number[], lower: readonly number[], upper: readonly number[], options: LbfgsbOptions): LbfgsbResult {
  const n = x0.length;
  let x = x0.map((v, i) => Math.min(upper[i] as number, Math.max(lower[i] as number, v)));
  let { value: fx, gradient: g } = f(x);
  let evaluations = 1;
  const tol = options.factr * epsmch;
  let pairs: { s: number[]; y: number[] }[] = [];
  let theta = 1;
  let iter = 0;
  const done = (converged: boolean): LbfgsbResult => ({ x, value: fx, iterations: iter, evaluations, converged });
  // R stops with an error here ("L-BFGS-B needs finite values of 'fn'"); the caller gets the start back.
  if (!Number.isFinite(fx) || !g.every(Number.isFinite)) return done(false);
  if (projectedGradientNorm(x, g, lower, upper) <= options.pgtol) return done(true);
  const reset = () => {
    pairs = [];
    theta = 1;
  };
  for (;;) {
    const b = modelMatrix(pairs, theta, n);
    const cauchy = cauchyPoint(x, g, lower, upper, b);
    let z = cauchy.xcp;
    if (cauchy.free.length > 0 && pairs.length > 0) {
      const sub = subspaceStep(x, g, lower, upper, b, cauchy.xcp, cauchy.free);
      if (sub === null) {
        reset();
        continue;
      }
      z = sub;
    }
    const d = z.map((zi, i) => zi - (x[i] as number));
    const search = lineSearch(f, x, fx, g, d, z, lower, upper, iter === 0);
    evaluations += search.evaluations;
    if (search.failed) {
      // The direction was no good: with no curvature pairs there is nothing left to try.
      if (pairs.length === 0) return done(false);
      reset();
      continue;
    }
    const fold = fx;
    const gold = g;
    x = search.x;
    fx = search.value;
    g = search.gradient;
    iter++;
    const sbgnrm = projectedGradientNorm(x, g, lower, upper);
    if (iter > options.iterationsMax) return done(false);
    if (sbgnrm <= options.pgtol) return done(true);
    if (fold - fx <= tol * Math.max(Math.abs(fold), Math.abs(fx), 1)) return done(true);
    const y = g.map((gi, i) => gi - (gold[i] as number));
    const stp = search.stp;
    const s = stp === 1 ? d : d.map((di) => di * stp);
    const dr = stp === 1 ? search.gd - search.gdold : (search.gd - search.gdold) * stp;
    const ddum = stp === 1 ? -search.gdold : -search.gdold * stp;
    // Skip the update when the curvature condition fails (it would spoil positive definiteness).
    if (dr <= epsmch * ddum) continue;
    pairs.push({ s, y });
    if (pairs.length > options.memory) pairs.shift();
    theta = dot(y, y) / dr;
  }
}

/** Largest component of the gradient projected on the box. */
export function projectedGradientNorm(x: readonly number[], g: readonly number[], lower: readonly number[], upper: readonly number[]): number {
  let norm = 0;
  for (let i = 0; i < x.length; i++) {
    let gi = g[i] as number;
    if (gi < 0) gi = Math.max(gi, (x[i] as number) - (upper[i] as number));
    else gi = Math.min(gi, (x[i] as number) - (lower[i] as number));
    norm = Math.max(norm, Math.abs(gi));
  }
  return norm;
}

/** B = theta I updated by BFGS with each stored pair, oldest first (the compact L-BFGS matrix). */
function modelMatrix(pairs: readonly { s: number[]; y: number[] }[], theta: number, n: number): number[][] {
  let b = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? theta : 0)));
  for (const { s, y } of pairs) {
    const bs = matVec(b, s);
    const sbs = dot(s, bs);
    const ys = dot(y, s);
    b = b.map((row, i) => row.map((v, j) => v - ((bs[i] as number) * (bs[j] as number)) / sbs + ((y[i] as number) * (y[j] as number)) / ys));
  }
  return b;
}

/**
 * The first local minimiser of the quadratic model along the projected steepest-descent path,
 * and the variables free there (not at a bound).
 */
function cauchyPoint(x: readonly number[], g: readonly number[], lower: readonly number[], upper: readonly number[], b: number[][]): { xcp: number[]; free: number[] } {
  const n = x.length;
  const d = new Array<number>(n).fill(0);
  // at: 0 free, 1 fixed at lower, 2 fixed at upper, -3 free but not moving (zero gradient).
  const at = new Array<number>(n).fill(0);
  const breaks: { t: number; i: number }[] = [];
  for (let i = 0; i < n; i++) {
    const neggi = -(g[i] as number);
    const tl = (x[i] as number) - (lower[i] as number);
    const tu = (upper[i] as number) - (x[i] as number);
    if (tl <= 0) {
      if (neggi <= 0) at[i] = 1;
    } else if (tu <= 0) {
      if (neggi >= 0) at[i] = 2;
    } else if (Math.abs(neggi) <= 0) at[i] = -3;
    if (at[i] !== 0) continue;
    d[i] = neggi;
    if (neggi < 0) breaks.push({ t: tl / -neggi, i });
    else if (neggi > 0) breaks.push({ t: tu / neggi, i });
  }
  const xcp = x.slice();
  const freeAt = () => at.flatMap((w, i) => (w <= 0 ? [i] : []));
  if (breaks.length === 0 && d.every((v) => v === 0)) return { xcp, free: freeAt() };
  breaks.sort((p, q) => p.t - q.t || p.i - q.i);
  // f1, f2: first and second derivative of the model along the current segment.
  let f1 = -dot(d, d);
  let f2 = dot(d, matVec(b, d));
  const f2Org = f2;
  let dtm = -f1 / f2;
  let tsum = 0;
  let tj = 0;
  let allFixed = false;
  for (let k = 0; k < breaks.length; k++) {
    const { t, i: ibp } = breaks[k] as { t: number; i: number };
    const dt = t - tj;
    tj = t;
    if (dtm < dt) break;
    tsum += dt;
    const dibp = d[ibp] as number;
    d[ibp] = 0;
    xcp[ibp] = dibp > 0 ? (upper[ibp] as number) : (lower[ibp] as number);
    at[ibp] = dibp > 0 ? 2 : 1;
    const left = breaks.length - k - 1;
    if (left === 0 && breaks.length === n) {
      allFixed = true;
      break;
    }
    // Derivatives along the next segment, from the point reached at tsum.
    const displacement = xcp.map((v, i) => (d[i] !== 0 ? tsum * (d[i] as number) : v - (x[i] as number)));
    f1 = dot(g, d) + dot(d, matVec(b, displacement));
    f2 = Math.max(dot(d, matVec(b, d)), epsmch * f2Org);
    // Past the last breakpoint of a box every moving variable has stopped: the GCP is here.
    dtm = left > 0 ? -f1 / f2 : 0;
  }
  if (!allFixed) {
    tsum += Math.max(dtm, 0);
    for (let i = 0; i < n; i++) if (d[i] !== 0) xcp[i] = (x[i] as number) + tsum * (d[i] as number);
  }
  return { xcp, free: freeAt() };
}

/**
 * Minimises the model over the free variables from the Cauchy point, then moves back towards
 * the Cauchy point just enough to stay in the box (version 2.3's truncation). Null when the
 * reduced matrix is not positive definite.
 */
function subspaceStep(x: readonly number[], g: readonly number[], lower: readonly number[], upper: readonly number[], b: number[][], xcp: readonly number[], free: readonly number[]): number[] | null {
  const displacement = xcp.map((v, i) => v - (x[i] as number));
  const bz = matVec(b, displacement);
  const r = free.map((i) => -((g[i] as number) + (bz[i] as number)));
  const reduced = free.map((i) => free.map((j) => b[i]![j] as number));
  const du = solveSpd(reduced, r);
  if (du === null) return null;
  let alpha = 1;
  let hit = -1;
  for (let k = 0; k < free.length; k++) {
    const i = free[k] as number;
    const dk = du[k] as number;
    let ratio = alpha;
    if (dk < 0) {
      const room = (lower[i] as number) - (xcp[i] as number);
      if (room >= 0) ratio = 0;
      else if (dk * alpha < room) ratio = room / dk;
    } else if (dk > 0) {
      const room = (upper[i] as number) - (xcp[i] as number);
      if (room <= 0) ratio = 0;
      else if (dk * alpha > room) ratio = room / dk;
    }
    if (ratio < alpha) {
      alpha = ratio;
      hit = k;
    }
  }
  const z = xcp.slice();
  if (alpha < 1 && hit >= 0) {
    const i = free[hit] as number;
    const dk = du[hit] as number;
    z[i] = dk > 0 ? (upper[i] as number) : (lower[i] as number);
    du[hit] = 0;
  }
  free.forEach((i, k) => (z[i] = (z[i] as number) + alpha * (du[k] as number)));
  return z;
}

interface SearchResult {
  failed: boolean;
  x: number[];
  value: number;
  gradient: number[];
  stp: number;
  gd: number;
  gdold: number;
  evaluations: number;
}

function lineSearch(f: ValueAndGradient, x: readonly number[], fx: number, g: readonly number[], d: readonly number[], z: readonly number[], lower: readonly number[], upper: readonly number[], first: boolean): SearchResult {
  const failed: SearchResult = { failed: true, x: x.slice(), value: fx, gradient: g.slice(), stp: 0, gd: 0, gdold: 0, evaluations: 0 };
  const gdold = dot(g, d);
  if (gdold >= 0) return failed;
  // The largest step that stays in the box (1 on the first iteration, as in the original).
  let stpmx = 1;
  if (!first) {
    stpmx = 1e10;
    for (let i = 0; i < x.length; i++) {
      const a1 = d[i] as number;
      if (a1 < 0) {
        const a2 = (lower[i] as number) - (x[i] as number);
        if (a2 >= 0) stpmx = 0;
        else if (a1 * stpmx < a2) stpmx = a2 / a1;
      } else if (a1 > 0) {
        const a2 = (upper[i] as number) - (x[i] as number);
        if (a2 <= 0) stpmx = 0;
        else if (a1 * stpmx > a2) stpmx = a2 / a1;
      }
    }
  }
  const search = startLineSearch(fx, gdold, 1, { ...rLineSearchTolerances, stpmin: 0, stpmax: stpmx });
  let evaluations = 0;
  let point = { x: x.slice(), value: fx, gradient: g.slice() };
  let gd = gdold;
  while (search.status === "evaluate") {
    if (evaluations >= rLineSearchEvaluationsMax) return { ...failed, evaluations };
    const stp = search.stp;
    const trial = stp === 1 ? z.slice() : d.map((di, i) => stp * di + (x[i] as number));
    const evaluated = f(trial);
    evaluations++;
    if (!Number.isFinite(evaluated.value) || !evaluated.gradient.every(Number.isFinite)) return { ...failed, evaluations };
    point = { x: trial, value: evaluated.value, gradient: evaluated.gradient };
    gd = dot(point.gradient, d);
    search.next(point.value, gd);
  }
  if (search.status === "error") return { ...failed, evaluations };
  return { failed: false, ...point, stp: search.stp, gd, gdold, evaluations };
}

/** Solves A u = r for symmetric positive definite A by Cholesky; null if A is not. */
function solveSpd(a: readonly number[][], r: readonly number[]): number[] | null {
  const n = r.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let diag = a[j]![j] as number;
    for (let k = 0; k < j; k++) diag -= (l[j]![k] as number) ** 2;
    if (!(diag > 0)) return null;
    const ljj = Math.sqrt(diag);
    l[j]![j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let v = a[i]![j] as number;
      for (let k = 0; k < j; k++) v -= (l[i]![k] as number) * (l[j]![k] as number);
      l[i]![j] = v / ljj;
    }
  }
  const w = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let v = r[i] as number;
    for (let k = 0; k < i; k++) v -= (l[i]![k] as number) * (w[k] as number);
    w[i] = v / (l[i]![i] as number);
  }
  const u = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let v = w[i] as number;
    for (let k = i + 1; k < n; k++) v -= (l[k]![i] as number) * (u[k] as number);
    u[i] = v / (l[i]![i] as number);
  }
  return u;
}

function matVec(m: readonly number[][], v: readonly number[]): number[] {
  return m.map((row) => dot(row, v));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += (a[i] as number) * (b[i] as number);
  return acc;
}
