/**
 * Float64 `exp`, `log1p` and softplus for the ranges the Gaussian kernels need, several times
 * faster than `Math.exp`/`Math.log1p` (which V8 runs as calls into fdlibm). Each is accurate to a
 * few 1e-9 relative, far inside the 8 float32 roundings the conformance suite allows for float32
 * outputs, and the suite checks them against float64 references.
 */

/** Steps of the exp table per octave: `2^(j/32)`, leaving `|r| ≤ ln2/64` to a short polynomial. */
const STEPS = 32;
const STEPS_PER_LN2 = STEPS / Math.LN2;
// ln2/32 split in two (fdlibm's ln2_hi, ln2_lo, divided by 32: exact), so r keeps its low bits.
const STEP_HI = 0.6931471803691238 / STEPS;
const STEP_LO = 1.9082149292705877e-10 / STEPS;
/** Adding and subtracting 1.5·2^52 rounds a float64 of magnitude below 2^51 to an integer. */
const ROUND_SHIFT = 6755399441055744;

/** `FRACTION[j]` = 2^(j/32). */
const FRACTION = Float64Array.from({ length: STEPS }, (_, j) => 2 ** (j / STEPS));
/**
 * `POW2[e + 1076]` = 2^e for −1076 ≤ e ≤ 0, the two lowest being 0 (results below the subnormals
 * flush to 0). Indexed by `e + 1076`, never `−e`: `−0` is not an index V8 takes on its fast path.
 */
const POW2 = new Float64Array(1077);
for (let e = 0, p = 1; e <= 1076; e++, p /= 2) POW2[1076 - e] = p;

/**
 * `exp(a)` for `a ≤ 0` (NaN for NaN): `2^e · 2^(j/32) · e^r` with `a = (32e + j)·ln2/32 + r`,
 * `|r| ≤ ln2/64`, and `e^r` by its degree-4 Taylor polynomial (truncation below 2e-12 relative).
 */
export function expNonPositive(a: number): number {
  if (a < -745.2) return 0;
  // Round to nearest by the 1.5·2^52 shift: V8's Math.round is a slow call here.
  const kd = a * STEPS_PER_LN2 + ROUND_SHIFT - ROUND_SHIFT;
  const k = kd | 0;
  const r = a - kd * STEP_HI - kd * STEP_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24))));
  return (FRACTION[k & (STEPS - 1)] as number) * p * (POW2[(k >> 5) + 1076] as number);
}

/**
 * `atanh(s) / s = 1 + w/3 + w²/5 + … + w⁶/13` for `w = s² ≤ 1/9` (truncation below 2e-8
 * relative), in Estrin's form: a shorter dependency chain than Horner's, so the CPU overlaps
 * more elements.
 */
function atanhRatio(w: number): number {
  const w2 = w * w;
  const w4 = w2 * w2;
  return 1 + w * (1 / 3) + w2 * (1 / 5 + w * (1 / 7)) + w4 * (1 / 9 + w * (1 / 11) + w2 * (1 / 13));
}

/**
 * `log1p(t)` for `0 ≤ t ≤ 1`: `2·atanh(s)` with `s = t / (2 + t) ≤ 1/3`. Relative accuracy holds
 * down to the smallest t, where `log1p(t) ≈ t`, so softplus of a very negative x stays accurate.
 */
export function log1pUnit(t: number): number {
  const s = t / (2 + t);
  return 2 * s * atanhRatio(s * s);
}

/** Stable softplus `max(x, 0) + log1p(exp(−|x|))`, finite for every finite x. */
export function softplus(x: number): number {
  const l = log1pUnit(expNonPositive(-Math.abs(x)));
  return x > 0 ? x + l : l;
}

/**
 * Writes `softplus(rho[i])` to `sigma[i − offset]` for `i` in `[start, end)`: the same values as
 * {@link softplus}, in two passes (all the `exp`s, then all the `log1p`s) because one element's
 * chain exp → divide → polynomial is too long for the CPU to overlap many elements.
 */
export function softplusRange(
  rho: ArrayLike<number>,
  start: number,
  end: number,
  sigma: Float64Array,
  offset: number,
): void {
  for (let i = start; i < end; i++) sigma[i - offset] = expNonPositive(-Math.abs(rho[i] as number));
  for (let i = start; i < end; i++) {
    const x = rho[i] as number;
    const l = log1pUnit(sigma[i - offset] as number);
    sigma[i - offset] = x > 0 ? x + l : l;
  }
}

/**
 * {@link softplusRange}, returning `Σ log softplus(rho[i])` too, from the same `exp`. For `x ≤ 0`,
 * `log softplus(x) = x + log(log1p(eˣ) / eˣ)`, the second term in `[log ln2, 0]` by a short
 * `atanh` series: no `Math.log`, and exact to the last bits where softplus(x) ≈ eˣ underflows.
 * For `x > 0`, softplus ≥ ln 2 and `Math.log` is safe.
 */
export function softplusWithLogSum(
  rho: ArrayLike<number>,
  start: number,
  end: number,
  sigma: Float64Array,
  offset: number,
): number {
  for (let i = start; i < end; i++) sigma[i - offset] = expNonPositive(-Math.abs(rho[i] as number));
  let logSum = 0;
  for (let i = start; i < end; i++) {
    const x = rho[i] as number;
    const t = sigma[i - offset] as number;
    const d = 2 + t;
    const s = t / d;
    const p = atanhRatio(s * s);
    const l = 2 * s * p;
    if (x > 0) {
      const sp = x + l;
      sigma[i - offset] = sp;
      logSum += Math.log(sp);
    } else {
      sigma[i - offset] = l;
      // log(q), q = log1p(t)/t = 2p/d, as 2·atanh(u) with u = (q − 1)/(q + 1) in [−0.19, 0].
      const u = (2 * p - d) / (2 * p + d);
      const v = u * u;
      logSum += x + 2 * u * (1 + v * (1 / 3 + v * (1 / 5 + v * (1 / 7 + v * (1 / 9)))));
    }
  }
  return logSum;
}
