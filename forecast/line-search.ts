// The Moré-Thuente line search (MINPACK-2 dcsrch/dcstep) that L-BFGS-B uses, as a small state
// machine: start it at step 0, then feed it f and f' at each step it asks for. Kept faithful to
// the published algorithm because R's optimum depends on the exact sequence of trial steps.

export interface LineSearchTolerances {
  ftol: number;
  gtol: number;
  xtol: number;
  stpmin: number;
  stpmax: number;
}

export type LineSearchStatus = "evaluate" | "converged" | "warning" | "error";

export interface LineSearch {
  /** The step to evaluate next (status "evaluate"), or the accepted step. */
  stp: number;
  status: LineSearchStatus;
  /** Feeds f(stp) and f'(stp); updates stp and status. */
  next(f: number, g: number): void;
}

/** Starts a search from f(0) = finit, f'(0) = ginit < 0 with the first trial step stp. */
export function startLineSearch(finit: number, ginit: number, stp: number, tol: LineSearchTolerances): LineSearch {
  const { ftol, gtol, xtol, stpmin, stpmax } = tol;
  const search: LineSearch = { stp, status: "evaluate", next };
  if (stp < stpmin || stp > stpmax || ginit >= 0 || ftol < 0 || gtol < 0 || xtol < 0 || stpmin < 0 || stpmax < stpmin) {
    search.status = "error";
    return search;
  }
  let brackt = false;
  let stage = 1;
  const gtest = ftol * ginit;
  let width = stpmax - stpmin;
  let width1 = width / 0.5;
  // x: the best step so far; y: the other end of the bracketing interval.
  const best = { st: 0, f: finit, g: ginit };
  const other = { st: 0, f: finit, g: ginit };
  let stmin = 0;
  let stmax = stp + stp * 4;

  function next(f: number, g: number): void {
    let s = search.stp;
    const ftest = finit + s * gtest;
    if (stage === 1 && f <= ftest && g >= 0) stage = 2;
    let status: LineSearchStatus = "evaluate";
    if (brackt && (s <= stmin || s >= stmax)) status = "warning";
    if (brackt && stmax - stmin <= xtol * stmax) status = "warning";
    if (s === stpmax && f <= ftest && g <= gtest) status = "warning";
    if (s === stpmin && (f > ftest || g >= gtest)) status = "warning";
    if (f <= ftest && Math.abs(g) <= gtol * -ginit) status = "converged";
    if (status !== "evaluate") {
      search.status = status;
      return;
    }
    // In the first stage a modified function keeps the sufficient-decrease line in view.
    if (stage === 1 && f <= best.f && f > ftest) {
      const x = { st: best.st, f: best.f - best.st * gtest, g: best.g - gtest };
      const y = { st: other.st, f: other.f - other.st * gtest, g: other.g - gtest };
      const r = step(x, y, s, f - s * gtest, g - gtest, brackt, stmin, stmax);
      brackt = r.brackt;
      s = r.stp;
      best.st = x.st; best.f = x.f + x.st * gtest; best.g = x.g + gtest;
      other.st = y.st; other.f = y.f + y.st * gtest; other.g = y.g + gtest;
    } else {
      const r = step(best, other, s, f, g, brackt, stmin, stmax);
      brackt = r.brackt;
      s = r.stp;
    }
    if (brackt) {
      if (Math.abs(other.st - best.st) >= width1 * 0.66) s = best.st + (other.st - best.st) * 0.5;
      width1 = width;
      width = Math.abs(other.st - best.st);
      stmin = Math.min(best.st, other.st);
      stmax = Math.max(best.st, other.st);
    } else {
      stmin = s + (s - best.st) * 1.1;
      stmax = s + (s - best.st) * 4;
    }
    if (s < stpmin) s = stpmin;
    if (s > stpmax) s = stpmax;
    if ((brackt && (s <= stmin || s >= stmax)) || (brackt && stmax - stmin <= xtol * stmax)) s = best.st;
    search.stp = s;
  }
  return search;
}

interface Point {
  st: number;
  f: number;
  g: number;
}

// dcstep: a safeguarded cubic/quadratic step; updates the interval ends x and y in place.
function step(x: Point, y: Point, stp: number, fp: number, dp: number, brackt: boolean, stpmin: number, stpmax: number): { stp: number; brackt: boolean } {
  const sgnd = dp * (x.g / Math.abs(x.g));
  let stpf: number;
  if (fp > x.f) {
    // A higher function value: the minimum is bracketed.
    const theta = ((x.f - fp) * 3) / (stp - x.st) + x.g + dp;
    const s = Math.max(Math.abs(theta), Math.abs(x.g), Math.abs(dp));
    let gamm = s * Math.sqrt((theta / s) * (theta / s) - (x.g / s) * (dp / s));
    if (stp < x.st) gamm = -gamm;
    const p = gamm - x.g + theta;
    const q = gamm - x.g + gamm + dp;
    const stpc = x.st + (p / q) * (stp - x.st);
    const stpq = x.st + (x.g / ((x.f - fp) / (stp - x.st) + x.g) / 2) * (stp - x.st);
    stpf = Math.abs(stpc - x.st) < Math.abs(stpq - x.st) ? stpc : stpc + (stpq - stpc) / 2;
    brackt = true;
  } else if (sgnd < 0) {
    // Derivatives of opposite sign: bracketed.
    const theta = ((x.f - fp) * 3) / (stp - x.st) + x.g + dp;
    const s = Math.max(Math.abs(theta), Math.abs(x.g), Math.abs(dp));
    let gamm = s * Math.sqrt((theta / s) * (theta / s) - (x.g / s) * (dp / s));
    if (stp > x.st) gamm = -gamm;
    const p = gamm - dp + theta;
    const q = gamm - dp + gamm + x.g;
    const stpc = stp + (p / q) * (x.st - stp);
    const stpq = stp + (dp / (dp - x.g)) * (x.st - stp);
    stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
    brackt = true;
  } else if (Math.abs(dp) < Math.abs(x.g)) {
    // Same sign, derivative shrinking.
    const theta = ((x.f - fp) * 3) / (stp - x.st) + x.g + dp;
    const s = Math.max(Math.abs(theta), Math.abs(x.g), Math.abs(dp));
    const disc = (theta / s) * (theta / s) - (x.g / s) * (dp / s);
    let gamm = disc < 0 ? 0 : s * Math.sqrt(disc);
    if (stp > x.st) gamm = -gamm;
    const p = gamm - dp + theta;
    const q = gamm + (x.g - dp) + gamm;
    const r = p / q;
    let stpc: number;
    if (r < 0 && gamm !== 0) stpc = stp + r * (x.st - stp);
    else if (stp > x.st) stpc = stpmax;
    else stpc = stpmin;
    const stpq = stp + (dp / (dp - x.g)) * (x.st - stp);
    if (brackt) {
      stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
      const limit = stp + (y.st - stp) * 0.66;
      stpf = stp > x.st ? Math.min(limit, stpf) : Math.max(limit, stpf);
    } else {
      stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
      stpf = Math.max(stpmin, Math.min(stpmax, stpf));
    }
  } else if (brackt) {
    // Same sign, derivative not shrinking, bracketed: the cubic step towards y.
    const theta = ((fp - y.f) * 3) / (y.st - stp) + y.g + dp;
    const s = Math.max(Math.abs(theta), Math.abs(y.g), Math.abs(dp));
    let gamm = s * Math.sqrt((theta / s) * (theta / s) - (y.g / s) * (dp / s));
    if (stp > y.st) gamm = -gamm;
    const p = gamm - dp + theta;
    const q = gamm - dp + gamm + y.g;
    stpf = stp + (p / q) * (y.st - stp);
  } else {
    stpf = stp > x.st ? stpmax : stpmin;
  }
  if (fp > x.f) {
    y.st = stp; y.f = fp; y.g = dp;
  } else {
    if (sgnd < 0) {
      y.st = x.st; y.f = x.f; y.g = x.g;
    }
    x.st = stp; x.f = fp; x.g = dp;
  }
  return { stp: stpf, brackt };
}
