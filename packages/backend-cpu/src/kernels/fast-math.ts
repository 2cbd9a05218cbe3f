/**
 * Float64 `exp`, softplus and log softplus for the ranges the Gaussian kernels need, and the
 * sigmoid and tanh activations, several times faster than `Math.exp`/`Math.log1p`/`Math.tanh`
 * (which V8 runs as calls into fdlibm). Worst errors found by `fast-math.test.ts` (every 97th
 * float32 of [−100, 100], every table piece's ends and nodes, the extremes): relative 2e-12 (exp,
 * sigmoid), 1e-11 (tanh) and 3e-9 (softplus), wherever the result is a normal float64 (below
 * x ≈ −708 softplus is a float64 subnormal, with fewer significant bits, but far below the
 * smallest float32); for log softplus 2e-10 absolute, which is relative where |log σ| ≥ 1. Far
 * inside the float32 resolution (6e-8) of the outputs, but measured on a sample, not proven for
 * every input.
 */

/**
 * `exp` and the activations built on it live in a function scope, with their constants and tables:
 * a bundler (esbuild, under tsup) turns a module's top-level `const` into `var`, which V8 then
 * reloads and rechecks at every use, where a `const` of a closure it folds (sigmoid 5.6 against
 * 3.7 ns per element).
 */
export const { expNonPositive, sigmoid, tanh } = (() => {
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
  function expNonPositive(a: number): number {
    if (a < -745.2) return 0;
    // Round to nearest by the 1.5·2^52 shift: V8's Math.round is a slow call here.
    const kd = a * STEPS_PER_LN2 + ROUND_SHIFT - ROUND_SHIFT;
    const k = kd | 0;
    const r = a - kd * STEP_HI - kd * STEP_LO;
    const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24))));
    return (FRACTION[k & (STEPS - 1)] as number) * p * (POW2[(k >> 5) + 1076] as number);
  }

  /**
   * The logistic `1 / (1 + e^−x)`: with `e = e^(−|x|) ≤ 1`, `1/(1 + e)` for x ≥ 0 and `e/(1 + e)`
   * below, so nothing overflows and no difference cancels. About 2e-12 relative error (that of
   * {@link expNonPositive}; `fast-math.test.ts` checks it), where `Math.exp` costs a call into
   * fdlibm. The numerator is chosen by arithmetic on `h` = 0 or 1, exactly: V8 compiles a choice
   * between two floats to a branch, which random signs mispredict half the time (5.3 against 3.6 ns
   * per element).
   */
  function sigmoid(x: number): number {
    const e = expNonPositive(-Math.abs(x));
    const h = Number(x >= 0);
    return (h + (1 - h) * e) / (1 + e);
  }

  /**
   * Below this |x|, {@link tanh} is its Taylor series to x⁹: the first term left out,
   * `1382x¹¹/155925`, is below 1e-11 of the value. From here, `(1 − e)/(1 + e)` with
   * `e = e^(−2|x|) ≤ e^(−1/4)` loses at most a factor `e/(1 − e) < 3.6` of exp's error to cancelling.
   */
  const TANH_SERIES = 1 / 8;

  /**
   * `tanh(x)`, relative error below 1e-11 (`fast-math.test.ts`): the odd Taylor series near 0, where
   * the exp form would cancel, else `± (1 − e)/(1 + e)` with `e = e^(−2|x|)` from
   * {@link expNonPositive}. Keeps the sign of −0; ±1 at ±∞.
   */
  function tanh(x: number): number {
    const ax = Math.abs(x);
    if (ax < TANH_SERIES) {
      const x2 = x * x;
      return x * (1 + x2 * (-1 / 3 + x2 * (2 / 15 + x2 * (-17 / 315 + x2 * (62 / 2835)))));
    }
    const e = expNonPositive(-2 * ax);
    // The sign by arithmetic, not by a branch (see sigmoid).
    return ((1 - 2 * Number(x < 0)) * (1 - e)) / (1 + e);
  }

  return { expNonPositive, sigmoid, tanh };
})();

/**
 * Softplus and its log, in a function scope for the same reason as exp (above): building the
 * sigma cache 4.7 → 2.7 ns per element, uncached logProb 6.3 → 4.3, uncached sample 7.5 → 6.7,
 * the softplus op 3.7 → 2.4 (`bench/kernels.mjs`, `bench/elementwise.mjs`, 1 thread, interleaved).
 */
export const { softplus, logSoftplus, softplusWithLogSum, softplusTable } = (() => {
  /**
   * Softplus and its log by table, for `|x| < 16`: that range is cut into 4096 pieces of width
   * 1/128, each holding a quadratic in `u ∈ [−½, ½]`, the offset from the piece's middle in units
   * of 1/128. One multiply-add gives the piece and u, then three loads and four flops the value:
   * no `exp`, no `log`, no divide. Across a piece softplus changes by at most a factor `e^(1/128)`,
   * so the quadratic is accurate *relative* to the value even where softplus ≈ eˣ is tiny, and
   * `log softplus` needs no `Math.log`. Relative error below 3e-9 for softplus, absolute below 2e-10
   * for its log (`fast-math.test.ts`). The tables take 2 × 96 KiB, of which a kernel touches the few
   * KiB around the rho values it sees. Outside (`|x| ≥ 16`), `e^(−|x|) < 1.2e-7` and short series
   * of it are exact to float64 (the tails, below).
   */
  const LIMIT = 16;
  const PIECES_PER_UNIT = 128;
  /** `s = 128x + 2048` for `|x| < 16` lies in `[0, 4096]`: its integer part is the piece. */
  const PIECE_OFFSET = LIMIT * PIECES_PER_UNIT;
  /** One piece more than `[−16, 16)` needs: for a float64 x just below 16, s can round up to 4096. */
  const PIECES = 2 * PIECE_OFFSET + 1;
  /** The interpolation nodes `u = ±√3/4` (and 0): the Chebyshev nodes of degree 3 on `[−½, ½]`. */
  const NODE = Math.sqrt(3) / 4;

  /** Float64 softplus by `Math` (fdlibm): the function the tables interpolate. */
  function softplusReference(x: number): number {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }

  /**
   * Sets piece j of the tables `c` (the arrays of `c0`, `c1`, `c2`) to the quadratic
   * `c0 + c1·u + c2·u²` through the values `below`, `middle`, `above` at `u = −√3/4, 0, √3/4`
   * (Chebyshev nodes: within a factor 2 of the best quadratic).
   */
  function setQuadratic(
    c: Float64Array[],
    j: number,
    below: number,
    middle: number,
    above: number,
  ) {
    (c[0] as Float64Array)[j] = middle;
    (c[1] as Float64Array)[j] = (above - below) / (2 * NODE);
    (c[2] as Float64Array)[j] = (above + below - 2 * middle) / (2 * NODE * NODE);
  }

  /**
   * The coefficient arrays of softplus and of log softplus, one array per coefficient (three loads
   * at the same index). Computed once, when the module loads (about 2.3 ms): every thread of a process
   * gets the same bits.
   */
  const SOFTPLUS = [0, 1, 2].map(() => new Float64Array(PIECES));
  const LOG_SOFTPLUS = [0, 1, 2].map(() => new Float64Array(PIECES));
  for (let j = 0; j < PIECES; j++) {
    const x = (j - PIECE_OFFSET + 0.5) / PIECES_PER_UNIT; // the piece's middle
    const below = softplusReference(x - NODE / PIECES_PER_UNIT);
    const middle = softplusReference(x);
    const above = softplusReference(x + NODE / PIECES_PER_UNIT);
    setQuadratic(SOFTPLUS, j, below, middle, above);
    setQuadratic(LOG_SOFTPLUS, j, Math.log(below), Math.log(middle), Math.log(above));
  }
  const [SP0, SP1, SP2] = SOFTPLUS as [Float64Array, Float64Array, Float64Array];
  const [LSP0, LSP1, LSP2] = LOG_SOFTPLUS as [Float64Array, Float64Array, Float64Array];

  /**
   * Softplus for `|x| ≥ 16` (and NaN): with `t = e^(−|x|) < 1.2e-7`, `log1p(t) = t·(1 − t/2 + t²/3)`
   * to within `t³/4` relative (below 5e-22), and `max(x, 0) + log1p(t)` is softplus. Relative
   * accuracy holds down to the subnormals, where softplus(x) ≈ eˣ.
   */
  function softplusTail(x: number): number {
    const t = expNonPositive(-Math.abs(x));
    const l = t * (1 - t * (0.5 - t * (1 / 3)));
    return x > 0 ? x + l : l;
  }

  /**
   * `log softplus(x)` for `|x| ≥ 16` (and NaN): for x ≤ −16, `x + log(log1p(eˣ)/eˣ)` =
   * `x − t/2 + 5t²/24` to within `t³/8` (t = eˣ), finite and exact even where softplus underflows;
   * for x ≥ 16, softplus ≥ 16 and `Math.log` is safe.
   */
  function logSoftplusTail(x: number): number {
    if (x > 0) return Math.log(softplusTail(x));
    const t = expNonPositive(x);
    return x - t * (0.5 - t * (5 / 24));
  }

  /** Stable softplus `max(x, 0) + log1p(exp(−|x|))`, finite for every finite x. */
  function softplus(x: number): number {
    if (!(Math.abs(x) < LIMIT)) return softplusTail(x);
    const s = x * PIECES_PER_UNIT + PIECE_OFFSET;
    const j = s | 0;
    const u = s - j - 0.5;
    return (SP0[j] as number) + u * ((SP1[j] as number) + u * (SP2[j] as number));
  }

  /** `log softplus(x)`, finite for every finite x (−∞ nowhere: ≈ x where softplus underflows). */
  function logSoftplus(x: number): number {
    if (!(Math.abs(x) < LIMIT)) return logSoftplusTail(x);
    const s = x * PIECES_PER_UNIT + PIECE_OFFSET;
    const j = s | 0;
    const u = s - j - 0.5;
    return (LSP0[j] as number) + u * ((LSP1[j] as number) + u * (LSP2[j] as number));
  }

  /**
   * Writes `softplus(rho[i])` to `sigma[i − offset]` for `i` in `[start, end)` and returns
   * `Σ log softplus(rho[i])`, in one pass: bitwise the values of {@link softplus} and
   * {@link logSoftplus} (the same expressions; `fast-math.test.ts` checks the bits), with the piece
   * and u found once for both (0.15 ns per element less than calling the two).
   */
  function softplusWithLogSum(
    rho: ArrayLike<number>,
    start: number,
    end: number,
    sigma: Float64Array,
    offset: number,
  ): number {
    let logSum = 0;
    for (let i = start; i < end; i++) {
      const x = rho[i] as number;
      if (Math.abs(x) < LIMIT) {
        const s = x * PIECES_PER_UNIT + PIECE_OFFSET;
        const j = s | 0;
        const u = s - j - 0.5;
        sigma[i - offset] = (SP0[j] as number) + u * ((SP1[j] as number) + u * (SP2[j] as number));
        logSum += (LSP0[j] as number) + u * ((LSP1[j] as number) + u * (LSP2[j] as number));
      } else {
        sigma[i - offset] = softplusTail(x);
        logSum += logSoftplusTail(x);
      }
    }
    return logSum;
  }

  /** The tables `softplus` reads for `|x| < 16` (piece `⌊128x + 2048⌋`), for `softplus-wasm.ts`. */
  const softplusTable = {
    coefficients: [SP0, SP1, SP2],
    limit: LIMIT,
    piecesPerUnit: PIECES_PER_UNIT,
    offset: PIECE_OFFSET,
  };

  return { softplus, logSoftplus, softplusWithLogSum, softplusTable };
})();
