// The chi-square distribution's survival function, P(X >= x) for X ~ chi-square(k), which turns a
// G statistic into a p-value. It is the regularized upper incomplete gamma function
// Q(k/2, x/2), computed as in Numerical Recipes (Press et al., 3rd ed., §6.2, gammq/gser/gcf): the
// series for x < a + 1 and the continued fraction (modified Lentz) otherwise, each converging fast
// in its own region; ln Γ from §6.1. Written by hand: the well-kept npm implementation (@stdlib's gammainc) brings
// about forty packages including N-API bindings for one function of ~60 lines.

const MAX_ITERATIONS = 1000;
const EPSILON = 1e-15;
/** Near the smallest representable double, so Lentz's method never divides by zero. */
const TINY = 1e-300;

/** ln Γ(x) for x > 0: Lanczos' approximation as in Numerical Recipes (2nd ed., §6.1, gammln), |error| < 2e-10. */
export function logGamma(x: number): number {
  const coefficients = [76.18009172947146, -86.50532032941678, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let y = x;
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let series = 1.000000000190015;
  for (const c of coefficients) series += c / ++y;
  return -tmp + Math.log((2.5066282746310007 * series) / x);
}

/** Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function, for a > 0, x >= 0. */
export function regularizedUpperGamma(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
}

/** P(a, x) by its series (gser): converges quickly for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  let denominator = a;
  for (let n = 0; n < MAX_ITERATIONS; n++) {
    denominator++;
    term *= x / denominator;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Q(a, x) by its continued fraction (gcf, modified Lentz): converges quickly for x >= a + 1. */
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** P(X >= x) for X ~ chi-square with `degreesOfFreedom` (> 0): the p-value of a statistic x. */
export function chiSquareSurvival(x: number, degreesOfFreedom: number): number {
  if (x <= 0) return 1;
  return regularizedUpperGamma(degreesOfFreedom / 2, x / 2);
}
