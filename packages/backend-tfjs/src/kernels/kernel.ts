/**
 * What a kernel of this backend is: core's kernel signature on tfjs tensors, plus the
 * engine-dependent pieces (accurate sums, log1p, softplus; index checks) that several kernels share.
 * The backend runs every kernel inside one `tf.tidy` on its own engine and `tf.keep`s the result,
 * so a kernel may leave its intermediates to that tidy.
 */
import type { KernelOutput } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { EngineTraits } from '../engine-traits.js';
import {
  compensatedLog1p,
  reducedExp,
  seriesLog1p,
  smallTanh,
  stableSoftplus,
} from './elementwise.js';
import { sumAxes } from './sum.js';

/** The engine-dependent helpers kernels share. */
export interface KernelEnv {
  /** What the engine's own kernels get right (see `engine-traits.ts`). */
  readonly traits: EngineTraits;
  /** `x` summed over `axes` (sorted, distinct), blocked where the engine's `tf.sum` drifts. */
  sum(x: tf.Tensor, axes: readonly number[]): tf.Tensor;
  /** `log(1 + x)`, composed where the engine's `tf.log1p` is inaccurate near 0. */
  log1p(x: tf.Tensor): tf.Tensor;
  /** `exp(x)`, range-reduced on engines whose `tf.exp` drifts with |x| (the GPU engines). */
  exp(x: tf.Tensor): tf.Tensor;
  /** `tanh(x)`, with a series near 0 on the GPU engines (theirs cancels there). */
  tanh(x: tf.Tensor): tf.Tensor;
  /** `log(1 + exp(x))`, composed where the engine's `tf.softplus` is inaccurate. */
  softplus(x: tf.Tensor): tf.Tensor;
  /**
   * Throws a RangeError naming `where` and `arg` if an int32 index lies outside [0, bound). It
   * reads the indices only on engines that keep tensors in host memory (cpu, wasm), where that is
   * cheap; elsewhere it does nothing (core has checked the range wherever it knows it).
   */
  checkIndices(where: string, arg: string, indices: tf.Tensor, bound: number): void;
}

/**
 * One kernel: core's `(inputs, attrs, output)` on tfjs tensors, and the engine's helpers.
 * Returns a tfjs tensor (an array of them for ops with several outputs).
 */
// biome-ignore lint/suspicious/noExplicitAny: one table holds kernels of different attribute types
export type TfjsKernel<A = any> = (
  inputs: readonly tf.Tensor[],
  attrs: A,
  output: KernelOutput,
  env: KernelEnv,
) => tf.Tensor | readonly tf.Tensor[];

/** Whether the engine keeps tensors in host memory, where reading indices costs no transfer. */
export function hostMemoryEngine(engine: string): boolean {
  return engine === 'cpu' || engine === 'wasm';
}

/** The helpers for an engine with `traits`. */
export function kernelEnv(traits: EngineTraits, hostMemory: boolean): KernelEnv {
  // Engines that keep tensors in host memory (cpu, wasm) have a relative-accurate log; the GPU
  // engines' log is accurate only in absolute terms near 1, where their log1p needs a series.
  const composedLog1p = hostMemory ? compensatedLog1p : seriesLog1p;
  // Their exp, too, drifts with |x| (exp2 of a rounded x · log2 e).
  const exp = hostMemory ? tf.exp : reducedExp;
  const log1p = (x: tf.Tensor) => (traits.accurateLog1p ? tf.log1p(x) : composedLog1p(x));
  return {
    traits,
    sum: (x, axes) => sumAxes(x, axes, traits.accurateSum),
    log1p,
    exp,
    tanh: hostMemory ? tf.tanh : smallTanh,
    softplus: (x) => (traits.accurateSoftplus ? tf.softplus(x) : stableSoftplus(x, log1p, exp)),
    checkIndices: (where, arg, indices, bound) => {
      if (!hostMemory) return;
      const values = indices.dataSync();
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number;
        if (!(v >= 0 && v < bound)) {
          throw new RangeError(`${where}: ${arg} must be in [0, ${bound}), got ${v} at index ${i}`);
        }
      }
    },
  };
}
