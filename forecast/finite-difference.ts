// The gradient R's optim computes when none is given: central differences with step ndeps,
// shortened on the side that would leave the box (optim.c, fmingr with bounds).

/** d f / d x_i by (f(x + h+ e_i) - f(x - h- e_i)) / (h+ + h-), with h± cut at the bounds. */
export function boxedCentralDifference(f: (x: readonly number[]) => number, x: readonly number[], lower: readonly number[], upper: readonly number[], step: number): number[] {
  const probe = x.slice();
  return x.map((xi, i) => {
    let up = xi + step;
    let stepUp = step;
    if (up > (upper[i] as number)) {
      up = upper[i] as number;
      stepUp = up - xi;
    }
    probe[i] = up;
    const fUp = f(probe);
    let down = xi - step;
    let stepDown = step;
    if (down < (lower[i] as number)) {
      down = lower[i] as number;
      stepDown = xi - down;
    }
    probe[i] = down;
    const fDown = f(probe);
    probe[i] = xi;
    return (fUp - fDown) / (stepUp + stepDown);
  });
}
