/**
 * exp, expm1, log and log1p written with ONNX arithmetic (Add, Sub, Mul, Div, Floor, Gather,
 * Where), accurate to a few ulps on any execution provider whose basic operations are correctly
 * rounded: the forms kernels emit when {@link GraphBuilder.portable} is set (GPU providers).
 *
 * Why: WGSL only asks `exp(x)` to be within 3 + 2·|x| ulps and `log(x)` within 2^-21 absolutely on
 * [0.5, 2] (WebGPU spec, "Floating Point Accuracy"). Measured on ONNX Runtime 1.30's webgpu
 * provider on SwiftShader: Exp 57 ulps off at x = −68, Log 948 ulps off at 0.99927, Tanh 12,000
 * ulps off near 0, and Softplus(−20) = 0 (log(1 + exp(x)) with 1 + 2e-9 rounded to 1). Their
 * +, −, × are correctly rounded and ÷, √ within 2.5 ulps, and powers of two are exact, so
 * range reduction to a short polynomial is accurate there (musl's expf and logf, after fdlibm).
 */
import type { GraphBuilder } from '../graph/graph-builder.js';
import { DataType } from '../proto/onnx.js';

/** Powers of two 2^j for j in [−POW2_BIAS, POW2_BIAS], read with Gather (exact on any provider). */
const POW2_BIAS = 80;

const LOG2E = Math.LOG2E;
/** ln 2 split so that k·LN2_HI is exact for |k| < 2^8 (expf's constants). */
const EXP_LN2_HI = 0.693145751953125;
const EXP_LN2_LO = 1.428606765330187e-6;
/** logf's split of ln 2: 16 significant bits in the high part. */
const LOG_LN2_HI = 0.693138122558594;
const LOG_LN2_LO = 9.05800061445916e-6;
/** logf's minimax coefficients of (log(1+f) − f + f²/2) / s, s = f/(2+f), in z = s². */
const LG1 = 0.66666662693;
const LG2 = 0.40000972152;
const LG3 = 0.28498786688;
const LG4 = 0.24279078841;

/** 2^e for a float tensor `e` of whole numbers in [−80, 80]. */
function pow2(g: GraphBuilder, e: string): string {
  const table = g.floats('pow2', () =>
    Float32Array.from({ length: 2 * POW2_BIAS + 1 }, (_, i) => 2 ** (i - POW2_BIAS)),
  );
  const index = g.op('Cast', [g.op('Add', [e, g.float(POW2_BIAS)])], [castTo(DataType.INT32)]);
  return g.op('Gather', [table, index]);
}

function castTo(type: DataType) {
  return { name: 'to', type: 'int', value: type } as const;
}

/** `x · 2^k` for whole k in [−160, 160], in two exact steps (each factor a normal number). */
function scaleByPow2(g: GraphBuilder, x: string, k: string): string {
  const k1 = g.op('Floor', [g.op('Mul', [k, g.float(0.5)])]);
  const k2 = g.op('Sub', [k, k1]);
  return g.op('Mul', [g.op('Mul', [x, pow2(g, k1)]), pow2(g, k2)]);
}

/** Horner's rule: c0 + x·(c1 + x·(c2 + …)). */
function horner(g: GraphBuilder, x: string, coefficients: readonly number[]): string {
  let acc = g.float(coefficients[coefficients.length - 1] as number);
  for (let i = coefficients.length - 2; i >= 0; i--) {
    acc = g.op('Add', [g.op('Mul', [acc, x]), g.float(coefficients[i] as number)]);
  }
  return acc;
}

/** NaN where x is NaN, else `value` (for providers whose Max and Min drop NaN). */
function keepNaN(g: GraphBuilder, x: string, value: string): string {
  return g.op('Where', [g.op('Equal', [x, x]), value, x]);
}

/**
 * `e^x` and `e^x − 1`: x = k·ln2 + r with k whole and |r| ≤ ln2/2 (Cody–Waite, exact), then
 * `e^r − 1 = q` by its Taylor polynomial to r⁷ (truncation below 0.05 ulp), and e^x = (1 + q)·2^k.
 * expm1 is q itself where k = 0 (|x| < 0.35), else e^x − 1 (which cancels at most 3×).
 * x is clamped to [−110, 90] first: past them e^x is 0 or ∞ in float32, as the scaling gives.
 */
export function emitExpParts(g: GraphBuilder, x: string): { exp: string; expm1: string } {
  const { exp, q, k } = emitExpCore(g, x);
  const kZero = g.op('Equal', [k, g.float(0)]);
  const expm1 = keepNaN(g, x, g.op('Where', [kZero, q, g.op('Sub', [exp, g.float(1)])]));
  return { exp, expm1 };
}

/** e^x alone (see {@link emitExpParts}), and its q and k. */
function emitExpCore(g: GraphBuilder, x: string): { exp: string; q: string; k: string } {
  const clamped = g.op('Min', [g.op('Max', [x, g.float(-110)]), g.float(90)]);
  const k = g.op('Floor', [g.op('Add', [g.op('Mul', [clamped, g.float(LOG2E)]), g.float(0.5)])]);
  const r = g.op('Sub', [
    g.op('Sub', [clamped, g.op('Mul', [k, g.float(EXP_LN2_HI)])]),
    g.op('Mul', [k, g.float(EXP_LN2_LO)]),
  ]);
  // q = r + r²/2 + … + r⁷/7! = r·(1 + r·(1/2 + …)).
  const q = g.op('Mul', [r, horner(g, r, [1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040])]);
  return { exp: keepNaN(g, x, scaleByPow2(g, g.op('Add', [q, g.float(1)]), k)), q, k };
}

export const emitExp = (g: GraphBuilder, x: string): string => emitExpCore(g, x).exp;

/**
 * `log(x)`: x = 2^k·m with m in [√½, √2) (k from the provider's Log, corrected by a step), then
 * musl's logf: with f = m − 1 (exact), s = f/(2 + f), log m = f − f²/2 + s·(f²/2 + R(s²)), and
 * log x = k·ln2 + log m in two parts. 0 gives −∞, negatives NaN, +∞ itself.
 */
export function emitLog(g: GraphBuilder, x: string): string {
  // A positive finite stand-in where x is not (the special cases are put back at the end).
  const xs = g.op('Min', [g.op('Max', [x, g.float(2 ** -149)]), g.float(3.4028234663852886e38)]);
  const guess = g.op('Floor', [
    g.op('Add', [g.op('Mul', [g.op('Log', [xs]), g.float(LOG2E)]), g.float(0.5)]),
  ]);
  const m0 = scaleByPow2(g, xs, g.op('Neg', [guess]));
  // The provider's Log may be off near a boundary: one step each way brings m into [√½, √2).
  const high = g.op('GreaterOrEqual', [m0, g.float(Math.SQRT2)]);
  const low = g.op('Less', [m0, g.float(Math.SQRT1_2)]);
  const m = g.op('Where', [
    high,
    g.op('Mul', [m0, g.float(0.5)]),
    g.op('Where', [low, g.op('Mul', [m0, g.float(2)]), m0]),
  ]);
  const k = g.op('Add', [
    guess,
    g.op('Sub', [
      g.op('Cast', [high], [castTo(DataType.FLOAT)]),
      g.op('Cast', [low], [castTo(DataType.FLOAT)]),
    ]),
  ]);
  const f = g.op('Sub', [m, g.float(1)]);
  const s = g.op('Div', [f, g.op('Add', [f, g.float(2)])]);
  const z = g.op('Mul', [s, s]);
  const w = g.op('Mul', [z, z]);
  const t1 = g.op('Mul', [w, horner(g, w, [LG2, LG4])]);
  const t2 = g.op('Mul', [z, horner(g, w, [LG1, LG3])]);
  const hfsq = g.op('Mul', [g.op('Mul', [f, f]), g.float(0.5)]);
  const small = g.op('Add', [
    g.op('Mul', [s, g.op('Add', [hfsq, g.op('Add', [t2, t1])])]),
    g.op('Mul', [k, g.float(LOG_LN2_LO)]),
  ]);
  const value = g.op('Add', [
    g.op('Add', [g.op('Sub', [small, hfsq]), f]),
    g.op('Mul', [k, g.float(LOG_LN2_HI)]),
  ]);
  const special = g.op('Where', [
    g.op('Equal', [x, g.float(0)]),
    g.float(-Infinity),
    g.op('Where', [g.op('Less', [x, g.float(0)]), g.float(Number.NaN), x]),
  ]);
  const finite = g.op('And', [
    g.op('Greater', [x, g.float(0)]),
    g.op('Less', [x, g.float(Infinity)]),
  ]);
  return g.op('Where', [finite, value, special]);
}

/**
 * `log(1 + x)` by Goldberg's theorem 4 on an accurate log: with u = 1 + x rounded,
 * log(u)·x/(u − 1), which is x where u − 1 = 0 and log(u) where u − 1 = x (see elementwise.ts).
 */
export function emitLog1p(g: GraphBuilder, x: string, log: (u: string) => string): string {
  const u = g.op('Add', [x, g.float(1)]);
  const d = g.op('Sub', [u, g.float(1)]);
  const logU = log(u);
  const corrected = g.op('Mul', [logU, g.op('Div', [x, d])]);
  const large = g.op('Where', [g.op('Equal', [d, x]), logU, corrected]);
  return g.op('Where', [g.op('Equal', [d, g.float(0)]), x, large]);
}

/**
 * `e^y` for y ≤ 0 (NaN aside): {@link emitExpParts} without the upper clamp, NaN guards and expm1,
 * for softplus, which calls it on −|x|.
 */
function emitExpNonPositive(g: GraphBuilder, y: string): string {
  const clamped = g.op('Max', [y, g.float(-110)]);
  const k = g.op('Floor', [g.op('Add', [g.op('Mul', [clamped, g.float(LOG2E)]), g.float(0.5)])]);
  const r = g.op('Sub', [
    g.op('Sub', [clamped, g.op('Mul', [k, g.float(EXP_LN2_HI)])]),
    g.op('Mul', [k, g.float(EXP_LN2_LO)]),
  ]);
  const q = g.op('Mul', [r, horner(g, r, [1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040])]);
  return scaleByPow2(g, g.op('Add', [q, g.float(1)]), k);
}

/**
 * `log(1 + e)` for e in [0, 1] (musl's log1pf on a short range): u = 1 + e rounded is in [1, 2],
 * m = u or u/2 (k = 0 or 1) is in [√½, √2), log u = k·ln2 + log m as in {@link emitLog}, and the
 * rounding of u comes back as c = (e − (u − 1))/u, which is exact to compute (u − 1 and the
 * difference are exact). For tiny e, u = 1 and the result is c = e.
 */
function emitLog1pUnit(g: GraphBuilder, e: string): string {
  const u = g.op('Add', [e, g.float(1)]);
  const big = g.op('GreaterOrEqual', [u, g.float(Math.SQRT2)]);
  const k = g.op('Cast', [big], [castTo(DataType.FLOAT)]);
  const m = g.op('Where', [big, g.op('Mul', [u, g.float(0.5)]), u]);
  const c = g.op('Div', [g.op('Sub', [e, g.op('Sub', [u, g.float(1)])]), u]);
  const f = g.op('Sub', [m, g.float(1)]);
  const s = g.op('Div', [f, g.op('Add', [f, g.float(2)])]);
  const z = g.op('Mul', [s, s]);
  const w = g.op('Mul', [z, z]);
  const r = g.op('Add', [
    g.op('Mul', [z, horner(g, w, [LG1, LG3])]),
    g.op('Mul', [w, horner(g, w, [LG2, LG4])]),
  ]);
  const hfsq = g.op('Mul', [g.op('Mul', [f, f]), g.float(0.5)]);
  const small = g.op('Add', [
    g.op('Mul', [s, g.op('Add', [hfsq, r])]),
    g.op('Add', [g.op('Mul', [k, g.float(LOG_LN2_LO)]), c]),
  ]);
  return g.op('Add', [
    g.op('Add', [g.op('Sub', [small, hfsq]), f]),
    g.op('Mul', [k, g.float(LOG_LN2_HI)]),
  ]);
}

/**
 * `softplus(x) = max(x, 0) + log1p(e^−|x|)`, which neither overflows nor rounds 1 + e^x: 65
 * nodes, from exp and log1p specialised to their ranges here (e^−|x| ≤ 1).
 */
export function emitPortableSoftplus(g: GraphBuilder, x: string): string {
  const e = emitExpNonPositive(g, g.op('Neg', [g.op('Abs', [x])]));
  return g.op('Add', [g.op('Max', [x, g.float(0)]), emitLog1pUnit(g, e)]);
}

/**
 * `tanh(x) = sign(x)·(−t/(2 + t))` with t = expm1(−2|x|): no cancellation near 0 (where the
 * provider's Tanh, computed from exponentials, is 12,000 ulps off) and exactly ±1 far out.
 */
export function emitPortableTanh(g: GraphBuilder, x: string): string {
  const t = emitExpParts(g, g.op('Mul', [g.op('Abs', [x]), g.float(-2)])).expm1;
  const magnitude = g.op('Div', [g.op('Neg', [t]), g.op('Add', [t, g.float(2)])]);
  return g.op('Where', [g.op('Less', [x, g.float(0)]), g.op('Neg', [magnitude]), magnitude]);
}
