/**
 * What the kernel tests share: seeded inputs, a bitwise comparison, a backend on two threads and
 * float64 softplus. For tests only: not exported from the package, and not a `*.test.ts` file.
 */
import { type BackendTensor, type DType, getOp } from '@illia-ts/core';
import { expect } from 'vitest';
import { CpuBackend, type CpuBackendOptions, type CpuTensor } from './cpu-backend.js';
import { KernelPool } from './parallel/kernel-pool.js';
import { testWorkerUrl } from './parallel/test-worker.js';

/** Uniform values in [lo, hi) from a fixed linear congruential sequence. */
export function values(n: number, lo: number, hi: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/**
 * The index of the first element whose bits differ, or −1 (toEqual is slow on 10⁵ elements). Any
 * two NaNs count as equal: JavaScript and WebAssembly leave a NaN's sign and payload unspecified
 * (x64 keeps one operand's, whichever the register allocator put first).
 */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

/**
 * A backend on two threads whose workers run the kernels of these sources (`test-worker.ts`),
 * once both threads are up. Throws if fewer started: the backend would then run every kernel on
 * the calling thread, and a comparison with one thread would pass without testing anything.
 */
export async function startTwoThreads(
  options: Omit<CpuBackendOptions, 'threads' | 'workerUrl'> = {},
): Promise<CpuBackend> {
  const backend = new CpuBackend({ ...options, threads: 2, workerUrl: await testWorkerUrl() });
  const threads = await backend.whenReady();
  if (threads !== 2) throw new Error(`startTwoThreads: expected 2 threads, got ${threads}`);
  return backend;
}

/** Float64 softplus by `Math` (fdlibm), as the conformance suite's reference computes it. */
export function softplus64(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Runs kernel `op` of `backend` as core does, given the output's shape and dtype. */
export function runKernel(
  backend: CpuBackend,
  op: string,
  inputs: readonly BackendTensor[],
  attrs: unknown,
  shape: readonly number[],
  dtype: DType = 'float32',
): CpuTensor {
  return runKernels(backend, op, inputs, attrs, shape, dtype)[0] as CpuTensor;
}

/** The same for a kernel of several outputs (`adamUpdate`), or one, as a list. */
export function runKernels(
  backend: CpuBackend,
  op: string,
  inputs: readonly BackendTensor[],
  attrs: unknown,
  shape: readonly number[],
  dtype: DType = 'float32',
): CpuTensor[] {
  const kernel = backend.kernels[op];
  if (kernel === undefined) throw new Error(`runKernel: cpu has no kernel '${op}'`);
  const out = kernel(inputs, attrs, { shape, dtype });
  return (Array.isArray(out) ? out : [out]) as CpuTensor[];
}

/** The values of a float32 tensor, read. */
export const floatsOf = (backend: CpuBackend, t: BackendTensor): Float32Array =>
  backend.readSync(t) as Float32Array;

/** An input for {@link reference}: values (float32 or int32) and shape. */
export interface RefInput {
  readonly values: Float32Array | Int32Array;
  readonly shape: readonly number[];
}

/** Op `op`'s float64 reference (its definition in core) on these inputs and normalised attrs. */
export function reference(op: string, inputs: readonly RefInput[], attrs: unknown): Float64Array {
  const ref = getOp(op)?.reference;
  if (ref === undefined) throw new Error(`reference: core has no reference for '${op}'`);
  return ref(
    inputs.map((t) => ({
      values: Float64Array.from(t.values),
      shape: t.shape,
      dtype: t.values instanceof Int32Array ? 'int32' : 'float32',
    })),
    attrs,
  );
}

/** Makes tensors of `inputs` on `backend`, runs kernel `op`, reads and disposes everything. */
export function runOn(
  backend: CpuBackend,
  op: string,
  inputs: readonly RefInput[],
  attrs: unknown,
  shape: readonly number[],
  dtype: DType = 'float32',
): Float32Array | Int32Array {
  const before = backend.memory();
  const handles = inputs.map((t) => backend.makeTensor(t.values, t.shape));
  const out = runKernel(backend, op, handles, attrs, shape, dtype);
  const values = backend.readSync(out);
  for (const h of [...handles, out]) backend.dispose(h);
  const after = backend.memory();
  if (after.numTensors !== before.numTensors || after.numBytes !== before.numBytes) {
    throw new Error(`runOn: ${op} leaked tensors`);
  }
  return values;
}

/** The index of the first element where `got` differs from `expected` rounded to float32, or −1. */
export function firstDifferenceFrom(
  got: Float32Array | Int32Array,
  expected: Float64Array,
): number {
  if (got instanceof Int32Array) {
    if (got.length !== expected.length) return 0;
    return got.findIndex((v, i) => v !== expected[i]);
  }
  return firstDifference(got, Float32Array.from(expected));
}

/**
 * Runs `run` and returns how many jobs were split between threads meanwhile (a job whose arrays
 * are not all in shared memory runs on one thread without a word: tests of the threaded path
 * check that it was taken).
 */
export function splitJobsDuring(run: () => void): number {
  const original = KernelPool.prototype.run;
  let split = 0;
  KernelPool.prototype.run = function (this: KernelPool, ...args: Parameters<KernelPool['run']>) {
    const before = this.splitJobs;
    const total = original.apply(this, args);
    split += this.splitJobs - before;
    return total;
  };
  try {
    run();
  } finally {
    KernelPool.prototype.run = original;
  }
  return split;
}

/** {@link runOn}, with how many jobs were split between threads meanwhile. */
export function runOnCounting(
  backend: CpuBackend,
  op: string,
  inputs: readonly RefInput[],
  attrs: unknown,
  shape: readonly number[],
  dtype: DType = 'float32',
): { values: Float32Array | Int32Array; split: number } {
  let values: Float32Array | Int32Array = new Float32Array(0);
  const split = splitJobsDuring(() => {
    values = runOn(backend, op, inputs, attrs, shape, dtype);
  });
  return { values, split };
}

/**
 * Runs `op` on `one` (one thread) and `two` (two threads, a low threshold): both must give
 * `expected` rounded to float32 (or the int32 values), and on `two` the job must have been split
 * between threads unless `splits` is false. Returns the values.
 */
export function expectOnBoth(
  one: CpuBackend,
  two: CpuBackend,
  expected: Float64Array,
  op: string,
  inputs: readonly RefInput[],
  attrs: unknown,
  shape: readonly number[],
  dtype: DType = 'float32',
  splits = true,
): Float32Array | Int32Array {
  const single = runOn(one, op, inputs, attrs, shape, dtype);
  expect(firstDifferenceFrom(single, expected), `${op} on one thread`).toBe(-1);
  const { values, split } = runOnCounting(two, op, inputs, attrs, shape, dtype);
  if (splits) expect(split, `${op}: jobs split between threads`).toBeGreaterThan(0);
  expect(firstDifferenceFrom(values, expected), `${op} on two threads`).toBe(-1);
  return values;
}
