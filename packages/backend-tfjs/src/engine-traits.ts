/**
 * What the active tfjs engine's kernels get right, measured once when the backend is made.
 * Engines differ: tfjs-backend-cpu sums in float64, the wasm engine sums sequentially in float32
 * (2e-4 relative error over 10⁶ terms) and computes log1p as log(1 + x) (0 for x = 1e-8); the
 * wasm maximum drops a NaN in its second argument, its sigmoid flushes subnormal results to 0,
 * and its MaxPoolGrad sends a window's gradient to the last of tied maxima. Where a probe fails,
 * the kernels compose the same function from ops that are right.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activate } from './engines.js';

/** Probe results for one engine. */
export interface EngineTraits {
  /** The engine's float precision: 2^-24 for float32, 2^-11 for float16 (some WebGL devices). */
  readonly epsilon: number;
  /** `dataSync()` works. */
  readonly syncRead: boolean;
  /** `dataSync()`/`data()` hand out the engine's own array, so reads must copy. */
  readonly readAliases: boolean;
  /** `tf.sum` keeps 10⁶ float32 terms within float32 rounding (it accumulates in float64). */
  readonly accurateSum: boolean;
  /** `tf.log1p` is accurate for tiny x. */
  readonly accurateLog1p: boolean;
  /** `tf.softplus` is accurate from −100 to 10⁴. */
  readonly accurateSoftplus: boolean;
  /** `tf.maximum` propagates NaN from either argument, as NumPy does. */
  readonly maximumPropagatesNaN: boolean;
  /** `tf.sigmoid` gives float32 subnormals below −87.3 (wasm's gives 0 there). */
  readonly sigmoidKeepsSubnormals: boolean;
  /** The engine has tfjs's `Conv2DBackpropFilter` kernel (wasm does not). */
  readonly conv2dFilterGradKernel: boolean;
  /**
   * The engine has tfjs's `MaxPoolGrad` kernel and it sends each window's gradient to the first
   * of tied maxima (row-major), as PyTorch and core's maxPool2dGrad do.
   */
  readonly maxPoolGradFirstMax: boolean;
}

/** Float32 roundings a transcendental kernel may be off by before we compose our own. */
const ROUNDINGS = 4;

function softplus64(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function accurate(
  got: Float32Array,
  inputs: readonly number[],
  ref: (x: number) => number,
  epsilon: number,
): boolean {
  return inputs.every((x, i) => {
    const expected = ref(Math.fround(x));
    // The floor skips float32 subnormals, whose relative precision is lower by design.
    return (
      Math.abs((got[i] as number) - expected) <= ROUNDINGS * epsilon * Math.abs(expected) + 1e-37
    );
  });
}

async function values(engine: string, make: () => tf.Tensor): Promise<Float32Array> {
  // Another backend's kernel may have switched engines while an earlier probe awaited its read.
  activate(engine);
  const t = tf.tidy(make);
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Tied maxima in 2×2 windows (stride 1) over a 3×3 plane, and the first-maximum gradient. */
const TIES = [0, 1, 1, 1, 1, 0, 0, 1, 1];
const TIES_DY = [1, 2, 4, 8];
const TIES_DX = [0, 3, 0, 4, 8, 0, 0, 0, 0];

async function maxPoolGradFirstMax(engine: string): Promise<boolean> {
  if (tf.getKernel(tf.MaxPoolGrad, engine) === undefined) return false;
  const dx = await values(engine, () => {
    const x = tf.tensor4d(TIES, [1, 3, 3, 1]);
    const inputs = {
      dy: tf.tensor4d(TIES_DY, [1, 2, 2, 1]),
      input: x,
      output: tf.maxPool(x, 2, 1, 'valid'),
    };
    return tf
      .engine()
      .runKernel(tf.MaxPoolGrad, inputs, { filterSize: 2, strides: 1, pad: 'valid' }) as tf.Tensor;
  });
  return TIES_DX.every((v, i) => dx[i] === v);
}

/** Probes `engine`, initialised (a few tiny tensors; nothing is left behind). */
export async function probeEngine(engine: string): Promise<EngineTraits> {
  activate(engine);
  // Measured, not tf.backend().floatPrecision(): tfjs-backend-webgl 4.22's says 16 whenever float32
  // rendering is enabled (its check is inverted), which made every tolerance on a float32 WebGL
  // device 2^13 times too loose. A float16 texture rounds 1 + 2^-20 to 1. 2048 elements: above
  // the sizes tfjs hands to the CPU (128 on webgl, 1000 on webgpu), so the engine's kernel runs.
  const [sum1] = await values(engine, () =>
    tf.slice(tf.add(tf.fill([2048], 1), tf.fill([2048], 2 ** -20)), 0, 1),
  );
  const epsilon = sum1 === 1 + 2 ** -20 ? 2 ** -24 : 2 ** -11;

  // tfjs-backend-webgpu reads synchronously through OffscreenCanvas WebGPU contexts (two per
  // read); in Chromium 150 on SwiftShader a few such reads leave the device unusable: every later
  // read fails with "A valid external Instance reference no longer exists". No sync reads there.
  let syncRead = engine !== 'webgpu';
  let readAliases = false;
  const t = tf.tensor1d([1], 'float32');
  try {
    if (!syncRead) throw new Error('no sync reads');
    const first = t.dataSync();
    first[0] = 2;
    readAliases = t.dataSync()[0] === 2;
  } catch {
    syncRead = false;
  } finally {
    t.dispose();
  }
  if (!syncRead) {
    const u = tf.tensor1d([1], 'float32');
    const first = (await u.data()) as Float32Array;
    first[0] = 2;
    readAliases = ((await u.data()) as Float32Array)[0] === 2;
    u.dispose();
  }

  // 1 followed by 4096 halves of an ulp of 1: a float32 running sum never moves off 1, so only an
  // engine that accumulates wider (or pairwise) finds the exact 1 + 2^-12.
  const small = new Float32Array(4097).fill(2 ** -24);
  small[0] = 1;
  const [sum] = await values(engine, () => tf.sum(tf.tensor1d(small)));
  const accurateSum = Math.abs((sum as number) - (1 + 2 ** -12)) <= 2 ** -20;

  const log1pInputs = [-0.5, -1e-7, 1e-8, 1e-5, 1e-3, 0.5, 100, 1e30];
  const log1p = await values(engine, () => tf.log1p(tf.tensor1d(log1pInputs)));
  const softplusInputs = [-100, -20, -13, -12, -10, -7, -1e-3, 0, 1, 7, 12, 13, 20, 80, 1e4];
  const softplus = await values(engine, () => tf.softplus(tf.tensor1d(softplusInputs)));
  const maximum = await values(engine, () =>
    tf.maximum(tf.tensor1d([Number.NaN, 1]), tf.tensor1d([1, Number.NaN])),
  );

  // σ(−88) and σ(−100) are float32 subnormals (6.1e-39, 3.7e-44).
  const sigmoid = await values(engine, () => tf.sigmoid(tf.tensor1d([-88, -100])));

  return {
    epsilon,
    syncRead,
    readAliases,
    accurateSum,
    accurateLog1p: accurate(log1p, log1pInputs, Math.log1p, epsilon),
    accurateSoftplus: accurate(softplus, softplusInputs, softplus64, epsilon),
    maximumPropagatesNaN: maximum.every(Number.isNaN),
    sigmoidKeepsSubnormals: sigmoid.every((v) => v > 0),
    conv2dFilterGradKernel: tf.getKernel(tf.Conv2DBackpropFilter, engine) !== undefined,
    maxPoolGradFirstMax: await maxPoolGradFirstMax(engine),
  };
}
