/**
 * What the kernel tests share: seeded inputs, a bitwise comparison, a backend on two threads and
 * float64 softplus. For tests only: not exported from the package, and not a `*.test.ts` file.
 */
import { CpuBackend, type CpuBackendOptions } from './cpu-backend.js';
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
