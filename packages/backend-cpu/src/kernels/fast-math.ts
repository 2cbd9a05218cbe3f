/**
 * Float64 `exp`, `log1p` and softplus for the ranges the Gaussian kernels need, several times
 * faster than `Math.exp`/`Math.log1p` (which V8 runs as calls into fdlibm). Each is accurate to a
 * few 1e-9 relative, far inside the 8 float32 roundings the conformance suite allows for float32
 * outputs, and the suite checks them against float64 references.
 */

const LOG2E = Math.LOG2E;
// ln 2 split in two (fdlibm): k·LN2_HI is exact for |k| < 2^11, so r keeps its low bits.
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
/** Adding and subtracting 1.5·2^52 rounds a float64 of magnitude below 2^51 to an integer. */
const ROUND_SHIFT = 6755399441055744;

/**
 * `POW2[k + 1075]` = 2^k for −1075 ≤ k ≤ 0, 2^−1075 being 0 (results below the subnormals flush
 * to 0). Indexed by `k + 1075`, not `−k`: `−0` is not an array index V8 takes on its fast path.
 */
const POW2 = new Float64Array(1076);
for (let k = 0, p = 1; k <= 1075; k++, p /= 2) POW2[1075 - k] = p;

/**
 * `exp(a)` for `a ≤ 0` (NaN for NaN): `2^k · e^r` with `|r| ≤ ln2/2`, and `e^r` by its degree-7
 * Taylor polynomial (truncation below 6e-9 relative).
 */
export function expNonPositive(a: number): number {
  if (a < -745.2) return 0;
  // Round to nearest by the 1.5·2^52 shift: V8's Math.round is a slow call on this path.
  const kd = a * LOG2E + ROUND_SHIFT - ROUND_SHIFT;
  const k = kd | 0;
  const r = a - kd * LN2_HI - kd * LN2_LO;
  const p =
    1 +
    r *
      (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return p * (POW2[k + 1075] as number);
}

/**
 * `log1p(t)` for `0 ≤ t ≤ 1`: `2·atanh(s)` with `s = t / (2 + t) ≤ 1/3`, summed to `s^13`
 * (truncation below 2e-8 relative). Relative accuracy holds down to the smallest t, where
 * `log1p(t) ≈ t`, so softplus of a very negative x stays accurate.
 */
export function log1pUnit(t: number): number {
  const s = t / (2 + t);
  const w = s * s;
  return (
    2 *
    s *
    (1 + w * (1 / 3 + w * (1 / 5 + w * (1 / 7 + w * (1 / 9 + w * (1 / 11 + w * (1 / 13)))))))
  );
}

/** Stable softplus `max(x, 0) + log1p(exp(−|x|))`, finite for every finite x. */
export function softplus(x: number): number {
  const l = log1pUnit(expNonPositive(-Math.abs(x)));
  return x > 0 ? x + l : l;
}

/**
 * Writes `softplus(rho[i])` to `sigma[i − offset]` for `i` in `[start, end)` and returns
 * `Σ log softplus(rho[i])`, sharing one `exp` between the two. For `x ≤ 0`,
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
  let logSum = 0;
  for (let i = start; i < end; i++) {
    const x = rho[i] as number;
    const t = expNonPositive(-Math.abs(x));
    const d = 2 + t;
    const s = t / d;
    const w = s * s;
    const p =
      1 + w * (1 / 3 + w * (1 / 5 + w * (1 / 7 + w * (1 / 9 + w * (1 / 11 + w * (1 / 13))))));
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
