/**
 * What a kernel sees of the backend: its tensors, output arrays (recycled, in shared memory where
 * threads may work on them) and the threads. `CpuBackend` implements it; each kernel file exports
 * a function of it (see `index.ts`, the kernel table).
 */
import type { BackendTensor, KernelOutput } from '@illia-ts/core';
import type { Job } from './jobs.js';

/** `softplus(rho)` of one rho tensor, kept while the tensor lives (tensors are immutable). */
export interface SigmaCache {
  /** sigma per element, in float64. */
  readonly sigma: Float64Array;
  /** `Σ log sigma` of each block. */
  readonly logSums: Float64Array;
}

/** A tensor of the cpu backend: its values in an array of its own (Int32Array for int32). */
export interface CpuTensor extends BackendTensor {
  readonly values: Float32Array | Int32Array;
  /** sigma = softplus(this), once a Gaussian kernel has used this tensor as rho. */
  sigmaCache?: SigmaCache | undefined;
}

/** The services kernels use. */
export interface CpuContext {
  /**
   * An array of `n` floats for an output whose every element the kernel writes (its contents are
   * not zeroed: it may be a disposed tensor's), in shared memory when `shared` is true or the
   * array is large enough for threads.
   */
  float32(n: number, shared?: boolean): Float32Array;
  /** The same for int32 values. */
  int32(n: number, shared?: boolean): Int32Array;
  /** A live tensor of `shape` owning `values`; its dtype is the array's. */
  wrap(values: Float32Array | Int32Array, shape: readonly number[]): CpuTensor;
  /**
   * Runs a job over the blocks of `n` elements (`random-normal.ts`'s BLOCK each), split between
   * threads from `parallelThreshold` elements; returns the job's total (`logRatio`).
   */
  runBlocks(job: Job, n: number): number;
  /**
   * Whether a kernel of `work` (in elements' worth: about a nanosecond each) over `units`
   * independent units is worth splitting between threads.
   */
  splits(work: number, units: number): boolean;
  /**
   * Runs units `[0, units)` of `job` split between threads (its arrays must be shared: outputs
   * from `float32(n, true)`, inputs through {@link share}), then recycles the copies `share` made.
   */
  runSplit(job: Job, units: number): void;
  /** `values` where threads can read it, else a copy in shared memory (recycled by `runSplit`). */
  share<T extends Float32Array | Int32Array>(values: T): T;
  /**
   * A small operand in shared memory, in the reused copy array of `slot` (for broadcasting ops:
   * a scalar or a bias next to a large tensor). Valid until the next call with the same slot.
   */
  operand(values: Float32Array, slot: number): Float32Array;
  /** The sigma cache of `rho`, made on first use; null when caching is off. */
  sigmaOf(rho: CpuTensor): SigmaCache | null;
}

/** A kernel of this backend: the context, then what core passes. */
// biome-ignore lint/suspicious/noExplicitAny: each kernel has its op's attribute type
export type CpuKernel<A = any> = (
  ctx: CpuContext,
  inputs: readonly CpuTensor[],
  attrs: A,
  output: KernelOutput,
) => CpuTensor | readonly CpuTensor[];

/** The float32 values of a float32 tensor. */
export const floats = (t: CpuTensor): Float32Array => t.values as Float32Array;

/** The values of a tensor of either dtype as int32 bits: copies move bits, never floats. */
export function bitsOf(values: Float32Array | Int32Array): Int32Array {
  return values instanceof Int32Array
    ? values
    : new Int32Array(values.buffer, values.byteOffset, values.length);
}

/** An output array of the tensor dtype `dtype`. */
export function outputArray(
  ctx: CpuContext,
  dtype: 'float32' | 'int32',
  n: number,
  shared?: boolean,
): Float32Array | Int32Array {
  return dtype === 'int32' ? ctx.int32(n, shared) : ctx.float32(n, shared);
}
