/**
 * The elementwise kernels: tfjs's own ops, except where an engine's kernel failed its probe (see
 * `engine-traits.ts`); there the same function is composed from ops the engine gets right.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

/**
 * `log(1 + x)` accurate for tiny x on engines whose log1p is `log(1 + x)`: with `u = 1 + x`
 * rounded, `log(u) · x / (u − 1)` cancels the rounding of `u` (Goldberg 1991, theorem 4).
 * `u = 1` means x is below rounding (log1p(x) = x); `u = x` means 1 is (log1p(x) = log(x)), which
 * also keeps ±∞ from becoming ∞/∞.
 */
export function compensatedLog1p(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.add(x, 1);
    const logU = tf.log(u);
    const scaled = tf.mul(logU, tf.div(x, tf.sub(u, 1)));
    return tf.where(tf.equal(u, x), logU, tf.where(tf.equal(u, 1), x, scaled));
  });
}

/**
 * `log(1 + x)` for engines whose `log` is accurate only in absolute terms near 1, as GPU logs are
 * (WGSL and GLSL allow an absolute error of 2^-21 for arguments in [0.5, 2]; SwiftShader's
 * log(1 − 2^-23) is −1.65e-7, not −1.19e-7), where {@link compensatedLog1p} inherits that error.
 * For x in [−0.5, 1): `2·atanh(s) = 2(s + s³/3 + … + s¹⁷/17)` with `s = x / (2 + x)`, |s| ≤ 1/3,
 * so the terms left out are below 2^-26 of the sum; elsewhere 1 + x is outside [0.5, 2], where
 * the log is accurate relative to its value, and the compensated form is used; below 2^-60, x.
 */
export function seriesLog1p(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const s = tf.div(x, tf.add(x, 2));
    const s2 = tf.mul(s, s);
    let p: tf.Tensor = tf.fill(x.shape, 1 / 17);
    for (const k of [15, 13, 11, 9, 7, 5, 3, 1]) p = tf.add(tf.mul(p, s2), 1 / k);
    const series = tf.mul(tf.mul(s, 2), p);
    const near = tf.logicalAnd(tf.greaterEqual(x, -0.5), tf.less(x, 1));
    // Below 2^-60, log1p(x) is x in float32; x / (2 + x) could be subnormal, which GPUs flush to 0.
    const tiny = tf.less(tf.abs(x), 2 ** -60);
    return tf.where(tiny, x, tf.where(near, series, compensatedLog1p(x)));
  });
}

/** ln 2 in two parts: `k · LN2_HI` is exact for |k| < 2^8 (LN2_HI has 15 significant bits). */
const LN2_HI = 0.693145751953125;
const LN2_LO = 1.428606765330187e-6;

/**
 * `exp(x)` for engines whose `exp` loses accuracy as |x| grows, as GPU exps do (computed as
 * `exp2(x · log2 e)`, whose product rounds; WGSL allows 3 + 2|x| ULP; SwiftShader's is 66
 * roundings off at x = −85.6, 19 at −30): `2^k · exp(r)` with `k = round(x / ln 2)` and
 * `r = x − k ln 2` in [−0.35, 0.35], where the engine's exp is accurate. Measured on SwiftShader
 * (WebGL and WebGPU), over [−87, 88]: at most 3.4 roundings.
 */
export function reducedExp(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // ±∞ clamped to where the result is already 0 or ∞ (∞ − ∞ would be NaN); NaN kept below.
    const c = tf.clipByValue(x, -104, 89);
    const k = tf.round(tf.mul(c, Math.LOG2E));
    const r = tf.sub(tf.sub(c, tf.mul(k, LN2_HI)), tf.mul(k, LN2_LO));
    const y = tf.mul(tf.exp(r), tf.pow(tf.scalar(2), k));
    return tf.where(tf.isNaN(x), x, y);
  });
}

/**
 * `tanh(x)` for the GPU engines, whose `tf.tanh` is `(1 − e)/(1 + e)` with `e = exp(−2|x|)`: that
 * cancels near 0 (SwiftShader: tanh(−0.001) = −0.0010000325, 3e-5 relative). Below |x| = 0.55 it
 * is `−m/(2 + m)` with `m = expm1(−2|x|)` from its Taylor series to the 13th power (the rest is
 * below 2^-27 of it there); above, `tf.tanh`, where `1 − e` no longer cancels. ±0 stays ±0.
 */
export function smallTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const z = tf.mul(tf.abs(x), -2);
    // expm1(z) = z(1 + z/2 (1 + z/3 (1 + … (1 + z/13)))).
    let q: tf.Tensor = tf.add(tf.div(z, 13), 1);
    for (let n = 12; n >= 2; n--) q = tf.add(tf.mul(q, tf.div(z, n)), 1);
    const m = tf.mul(z, q);
    const small = tf.mul(tf.sign(x), tf.div(tf.neg(m), tf.add(m, 2)));
    return tf.where(tf.equal(x, 0), x, tf.where(tf.less(tf.abs(x), 0.55), small, tf.tanh(x)));
  });
}

/** `max(x, 0) + log1p(exp(−|x|))`, finite for every finite x. */
export function stableSoftplus(
  x: tf.Tensor,
  log1p: (y: tf.Tensor) => tf.Tensor,
  exp: (y: tf.Tensor) => tf.Tensor = tf.exp,
): tf.Tensor {
  return tf.tidy(() => tf.add(tf.relu(x), log1p(exp(tf.neg(tf.abs(x))))));
}

/**
 * `sigmoid(x)` that keeps float32 subnormals: `exp(x)` below −17, where `1 + exp(x)` rounds to 1
 * (so `exp(x)/(1 + exp(x))` is `exp(x)` in float32), else the engine's `tf.sigmoid`.
 */
export function tailSigmoid(x: tf.Tensor, exp: (y: tf.Tensor) => tf.Tensor = tf.exp): tf.Tensor {
  return tf.tidy(() => tf.where(tf.less(x, -17), exp(x), tf.sigmoid(x)));
}

/** Broadcasting maximum that returns NaN where either argument is NaN (NumPy's `maximum`). */
export function nanMaximum(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    // a + b is NaN exactly where one of them is, and has the broadcast shape.
    tf.where(tf.logicalOr(tf.isNaN(a), tf.isNaN(b)), tf.add(a, b), tf.maximum(a, b)),
  );
}

const unary =
  (op: (x: tf.Tensor) => tf.Tensor): TfjsKernel =>
  ([x]) =>
    op(x as tf.Tensor);

const binary =
  (op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): TfjsKernel =>
  ([a, b]) =>
    op(a as tf.Tensor, b as tf.Tensor);

/**
 * `a > b` (or `a < b`) as float32 1 or 0, broadcasting: tfjs's comparisons give bool tensors,
 * which must not reach core (it multiplies these masks into float32 gradients).
 */
const comparison = (op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): TfjsKernel =>
  binary((a, b) => tf.cast(op(a, b), 'float32'));

export const neg = unary(tf.neg);
export const exp: TfjsKernel = ([x], _attrs, _output, env) => env.exp(x as tf.Tensor);
export const log = unary(tf.log);
export const log1p: TfjsKernel = ([x], _attrs, _output, env) => env.log1p(x as tf.Tensor);
export const sqrt = unary(tf.sqrt);
export const square = unary(tf.square);
export const abs = unary(tf.abs);
export const softplus: TfjsKernel = ([x], _attrs, _output, env) => env.softplus(x as tf.Tensor);
export const relu = unary(tf.relu);
export const sigmoid: TfjsKernel = ([x], _attrs, _output, env) =>
  env.traits.sigmoidKeepsSubnormals
    ? tf.sigmoid(x as tf.Tensor)
    : tailSigmoid(x as tf.Tensor, env.exp);
export const tanh: TfjsKernel = ([x], _attrs, _output, env) => env.tanh(x as tf.Tensor);

export const add = binary(tf.add);
export const sub = binary(tf.sub);
export const mul = binary(tf.mul);
export const div = binary(tf.div);
export const maximum: TfjsKernel = ([a, b], _attrs, _output, env) =>
  env.traits.maximumPropagatesNaN
    ? tf.maximum(a as tf.Tensor, b as tf.Tensor)
    : nanMaximum(a as tf.Tensor, b as tf.Tensor);
export const greater = comparison(tf.greater);
export const less = comparison(tf.less);
