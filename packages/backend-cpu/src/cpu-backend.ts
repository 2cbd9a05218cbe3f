import {
  type AdamHyperparameters,
  type AdamUpdate,
  BACKEND_API_VERSION,
  type Backend,
  type BackendTensor,
  type GaussianPrior,
  type MemoryInfo,
  type RandomKey,
  sizeOf,
} from '@illia-ts/core';
import { type Job, runJob } from './kernels/jobs.js';
import { type BinaryOp, binaryLayout, binaryShape, type UnaryOp } from './kernels/maps.js';
import { matMulDims, matMulPanels, panelsOf } from './kernels/matmul.js';
import { blocksOf } from './kernels/random-normal.js';
import { sumAxes, sumShape } from './kernels/sum.js';
import * as training from './kernels/training.js';
import { KernelPool } from './parallel/kernel-pool.js';

/** `softplus(rho)` of one rho tensor, kept while the tensor lives (tensors are immutable). */
interface SigmaCache {
  /** sigma per element, in float64. */
  readonly sigma: Float64Array;
  /** `Σ log sigma` of each block. */
  readonly logSums: Float64Array;
}

/** A tensor of the cpu backend: its values in a Float32Array of its own. */
export interface CpuTensor extends BackendTensor {
  readonly values: Float32Array;
  /** sigma = softplus(this), once a Gaussian kernel has used this tensor as rho. */
  sigmaCache?: SigmaCache | undefined;
}

/** What {@link CpuBackend} takes. */
export interface CpuBackendOptions {
  /** Its name (default `cpu`). */
  readonly name?: string;
  /**
   * Threads for large tensors, the calling one included (default: `ILLIA_CPU_THREADS`, else the
   * machine's available parallelism, at most 8; 1 in browsers). Results are bitwise the same for
   * every count.
   */
  readonly threads?: number;
  /**
   * Tensors of at least this many elements are split between threads (default 65536): below it
   * waking a worker costs more than it saves.
   */
  readonly parallelThreshold?: number;
  /**
   * Keep `softplus(rho)` (8 bytes per element, not counted by `memory()`) for as long as a rho
   * tensor lives, so repeated `sample()`/`logProb()` on unchanged parameters skip it (default true).
   * Results are bitwise the same either way.
   */
  readonly sigmaCache?: boolean;
  /** Where the worker script is (default `kernel-worker.js` next to this module). */
  readonly workerUrl?: URL;
}

/** Arrays shorter than this are not recycled: small allocations are cheap. */
const RECYCLE_MIN_LENGTH = 16384;
/** At most this many bytes of disposed tensors' arrays are kept for reuse. */
const RECYCLE_MAX_BYTES = 128 * 2 ** 20;

/**
 * Node's `Buffer.allocUnsafeSlow`: memory without calloc's zeroing, in an ArrayBuffer of its own.
 * A read overwrites every byte, so the zeroing would be wasted: at 1e6 floats it is a third of the
 * copy. Absent in browsers, where reads use `slice()`.
 */
const unzeroed = (
  globalThis as { Buffer?: { allocUnsafeSlow?: (bytes: number) => { buffer: ArrayBuffer } } }
).Buffer?.allocUnsafeSlow;

/**
 * A matMul is split between threads from `parallelThreshold` times this many multiply-adds: one
 * costs about a sixteenth of an element of the Gaussian kernels (0.3 against 5 ns).
 */
const MATMUL_MACS_PER_ELEMENT = 16;

/** Below this many elements a read is a plain `slice()` (small allocations are cheap). */
const UNZEROED_MIN_LENGTH = 16384;

/** The thread count `threads` asks for, from the option, `ILLIA_CPU_THREADS`, or the machine. */
function threadCount(threads: number | undefined): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.ILLIA_CPU_THREADS;
  const wanted = threads ?? (env === undefined ? undefined : Number(env));
  if (wanted !== undefined) {
    if (!Number.isInteger(wanted) || wanted < 1) {
      throw new RangeError(`CpuBackend: threads must be a positive integer, got ${String(wanted)}`);
    }
    return wanted;
  }
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as
    | { availableParallelism?: () => number }
    | undefined;
  return Math.min(8, Math.max(1, os?.availableParallelism?.() ?? 1));
}

/**
 * The `cpu` backend: every kernel in plain TypeScript on Float32Array, computing in float64 and
 * storing float32. No dependencies; runs in Node and browsers; reads synchronously. In Node,
 * large random and Gaussian kernels are split between worker threads (see `KernelPool`).
 */
export class CpuBackend implements Backend {
  readonly apiVersion = BACKEND_API_VERSION;
  readonly name: string;
  readonly epsilon = 2 ** -24;
  readonly #live = new Set<CpuTensor>();
  #numBytes = 0;
  readonly #pool: KernelPool | null;
  readonly #parallelThreshold: number;
  readonly #cacheSigma: boolean;
  /** Arrays of disposed tensors by length, for reuse; not counted by `memory()`. */
  readonly #spare = new Map<number, Float32Array[]>();
  #spareBytes = 0;

  /** A cpu backend; `options` may be just its name. */
  constructor(options: CpuBackendOptions | string = {}) {
    const opts = typeof options === 'string' ? { name: options } : options;
    this.name = opts.name ?? 'cpu';
    this.#parallelThreshold = opts.parallelThreshold ?? 65536;
    this.#cacheSigma = opts.sigmaCache ?? true;
    const url = opts.workerUrl ?? new URL('./kernel-worker.js', import.meta.url);
    this.#pool = KernelPool.create(threadCount(opts.threads), url);
  }

  /**
   * Resolves when the worker threads are up; until then every kernel runs on the calling thread
   * (with the same results). Resolves to the number of threads kernels use.
   */
  async whenReady(): Promise<number> {
    if (this.#pool === null) return 1;
    await this.#pool.whenReady();
    return this.#pool.threads;
  }

  /**
   * An array of `n` floats for a kernel that writes every element, in shared memory when threads
   * may work on it (from `parallelThreshold` elements, or from the recycled length: a matMul's
   * work is not its size; or when `shared` says so). Large ones come from the arrays of disposed
   * tensors when one of the same length is spare: a fresh one costs a page fault per 4 KiB on
   * first write (about as much as the draws).
   */
  #alloc(
    n: number,
    shared = n >= Math.min(this.#parallelThreshold, RECYCLE_MIN_LENGTH),
  ): Float32Array {
    shared &&= this.#pool !== null;
    const spare = n >= RECYCLE_MIN_LENGTH ? this.#spare.get(n)?.pop() : undefined;
    if (spare !== undefined) {
      // Spares have at least RECYCLE_MIN_LENGTH elements: all shared where there is a pool, none
      // where there is not, so a spare is always of the kind asked for.
      this.#spareBytes -= spare.byteLength;
      return spare;
    }
    if (shared) {
      return new Float32Array(new SharedArrayBuffer(n * Float32Array.BYTES_PER_ELEMENT));
    }
    return new Float32Array(n);
  }

  /**
   * Keeps the array of a disposed tensor (or a kernel's temporary copy) for {@link #alloc}, up to
   * {@link RECYCLE_MAX_BYTES}. Safe because every tensor owns its array (kernels never wrap another
   * tensor's array).
   */
  #recycle(values: Float32Array): void {
    if (values.length < RECYCLE_MIN_LENGTH) return;
    if (this.#spareBytes + values.byteLength > RECYCLE_MAX_BYTES) return;
    const list = this.#spare.get(values.length);
    if (list === undefined) this.#spare.set(values.length, [values]);
    else list.push(values);
    this.#spareBytes += values.byteLength;
  }

  #run(job: Job, n: number): number {
    const blocks = blocksOf(n);
    if (this.#pool === null || n < this.#parallelThreshold) return runJob(job, 0, blocks);
    return this.#pool.run(job, blocks);
  }

  #wrap(values: Float32Array, shape: readonly number[]): CpuTensor {
    const t: CpuTensor = { shape, values };
    this.#live.add(t);
    this.#numBytes += values.byteLength;
    return t;
  }

  makeTensor(values: Float32Array, shape: readonly number[]): CpuTensor {
    if (values.length !== sizeOf(shape)) {
      throw new RangeError(
        `cpu.makeTensor: shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, got ${values.length}`,
      );
    }
    const copy = this.#alloc(values.length);
    copy.set(values);
    return this.#wrap(copy, [...shape]);
  }

  read(x: BackendTensor): Promise<Float32Array> {
    return Promise.resolve(this.readSync(x));
  }

  readSync(x: BackendTensor): Float32Array {
    const values = (x as CpuTensor).values;
    if (values.length < UNZEROED_MIN_LENGTH || unzeroed === undefined) return values.slice();
    // An ordinary (unshared, unpooled) ArrayBuffer the caller owns, every byte overwritten here.
    const copy = new Float32Array(unzeroed(values.byteLength).buffer, 0, values.length);
    copy.set(values);
    return copy;
  }

  dispose(x: BackendTensor): void {
    const t = x as CpuTensor;
    t.sigmaCache = undefined;
    if (this.#live.delete(t)) {
      this.#numBytes -= t.values.byteLength;
      // Nothing reads a disposed tensor (core refuses it, and reads return copies).
      this.#recycle(t.values);
    }
  }

  memory(): MemoryInfo {
    return { numTensors: this.#live.size, numBytes: this.#numBytes };
  }

  randomNormal(shape: readonly number[], key: RandomKey): CpuTensor {
    const n = sizeOf(shape);
    const out = this.#alloc(n);
    this.#run({ kind: 'normal', out, seed: key.seed, counter: key.counter }, n);
    return this.#wrap(out, [...shape]);
  }

  /** An elementwise op of one tensor (`maps.ts`), split between threads when large. */
  #unary(x: BackendTensor, op: UnaryOp): CpuTensor {
    const values = (x as CpuTensor).values;
    const out = this.#alloc(values.length);
    this.#run({ kind: 'unary', op, x: values, out }, values.length);
    return this.#wrap(out, x.shape);
  }

  neg = (x: BackendTensor) => this.#unary(x, 'neg');
  exp = (x: BackendTensor) => this.#unary(x, 'exp');
  log = (x: BackendTensor) => this.#unary(x, 'log');
  log1p = (x: BackendTensor) => this.#unary(x, 'log1p');
  sqrt = (x: BackendTensor) => this.#unary(x, 'sqrt');
  square = (x: BackendTensor) => this.#unary(x, 'square');
  abs = (x: BackendTensor) => this.#unary(x, 'abs');
  softplus = (x: BackendTensor) => this.#unary(x, 'softplus');

  /**
   * A broadcasting elementwise op (`maps.ts`: same shapes, a scalar and a bias run the loops of
   * their own that every broadcast reduces to), split between threads when large.
   */
  #binary(a: BackendTensor, b: BackendTensor, op: BinaryOp): CpuTensor {
    const shape = binaryShape(a.shape, b.shape);
    const n = sizeOf(shape);
    const out = this.#alloc(n);
    const layout = binaryLayout(a.shape, b.shape, shape);
    let av = (a as CpuTensor).values;
    let bv = (b as CpuTensor).values;
    if (this.#pool !== null && n >= this.#parallelThreshold) {
      // Workers see only shared memory: a small operand (a scalar, a bias) goes there first.
      av = this.#sharedOperand(av, 0);
      bv = this.#sharedOperand(bv, 1);
    }
    this.#run({ kind: 'binary', op, a: av, b: bv, out, layout }, n);
    return this.#wrap(out, shape);
  }

  /** Shared arrays that small operands of a split binary op are copied to, by operand. */
  readonly #operandCopies: Float32Array[] = [];

  /**
   * `values`, or a copy in shared memory where it is not there already: in the copy array of
   * `slot` (grown as needed), reused by the next op, since kernels are synchronous. Operands
   * outside shared memory are small: from `min(parallelThreshold, RECYCLE_MIN_LENGTH)` elements
   * every array is shared.
   */
  #sharedOperand(values: Float32Array, slot: number): Float32Array {
    if (values.buffer instanceof SharedArrayBuffer) return values;
    let copy = this.#operandCopies[slot];
    if (copy === undefined || copy.length < values.length) {
      copy = new Float32Array(new SharedArrayBuffer(Math.max(values.length, 64) * 4));
      this.#operandCopies[slot] = copy;
    }
    const view = copy.subarray(0, values.length);
    view.set(values);
    return view;
  }

  add = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, 'add');
  sub = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, 'sub');
  mul = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, 'mul');
  div = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, 'div');
  maximum = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, 'maximum');

  /** The sum over `axes`, into a recycled array where the output is large (a gradient's). */
  sum(x: BackendTensor, axes: readonly number[]): CpuTensor {
    const shape = sumShape(x.shape, axes);
    const out = this.#alloc(sizeOf(shape));
    return this.#wrap(sumAxes((x as CpuTensor).values, x.shape, axes, out), shape);
  }

  /**
   * `op(a) · op(b)`; from `MATMUL_MACS_PER_ELEMENT · parallelThreshold` multiply-adds, its row
   * panels are split between threads (operands outside shared memory are copied there first).
   */
  matMul(a: BackendTensor, b: BackendTensor, transposeA: boolean, transposeB: boolean): CpuTensor {
    const av = (a as CpuTensor).values;
    const bv = (b as CpuTensor).values;
    const dims = matMulDims(a.shape, b.shape, transposeA, transposeB);
    const { m, k, n } = dims;
    const panels = panelsOf(m);
    const pool = this.#pool;
    const split =
      pool !== null &&
      pool.threads > 1 &&
      panels > 1 &&
      m * k * n >= MATMUL_MACS_PER_ELEMENT * this.#parallelThreshold;
    const out = split ? this.#alloc(m * n, true) : this.#alloc(m * n);
    if (!split) {
      matMulPanels(av, bv, out, dims, transposeA, transposeB, 0, panels);
      return this.#wrap(out, [m, n]);
    }
    const sa = this.#sharedCopy(av);
    const sb = this.#sharedCopy(bv);
    pool.run({ kind: 'matMul', out, a: sa, b: sb, dims, transposeA, transposeB }, panels);
    if (sa !== av) this.#recycle(sa);
    if (sb !== bv) this.#recycle(sb);
    return this.#wrap(out, [m, n]);
  }

  /** `values` if workers can read it, else a copy in shared memory (for {@link #recycle} after). */
  #sharedCopy(values: Float32Array): Float32Array {
    if (values.buffer instanceof SharedArrayBuffer) return values;
    const copy = this.#alloc(values.length, true);
    copy.set(values);
    return copy;
  }

  transpose(x: BackendTensor, perm: readonly number[]): CpuTensor {
    const values = (x as CpuTensor).values;
    const out = this.#alloc(values.length);
    return this.#wrap(
      training.transpose(values, x.shape, perm, out),
      training.transposeShape(x.shape, perm),
    );
  }

  reshape(x: BackendTensor, shape: readonly number[]): CpuTensor {
    const source = (x as CpuTensor).values;
    const copy = this.#alloc(source.length);
    copy.set(source);
    return this.#wrap(copy, [...shape]);
  }

  relu = (x: BackendTensor) => this.#unary(x, 'relu');
  sigmoid = (x: BackendTensor) => this.#unary(x, 'sigmoid');
  tanh = (x: BackendTensor) => this.#unary(x, 'tanh');

  logSoftmax(x: BackendTensor): CpuTensor {
    const values = (x as CpuTensor).values;
    return this.#wrap(training.logSoftmax(values, x.shape, this.#alloc(values.length)), x.shape);
  }

  greater = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, 'greater');
  less = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, 'less');

  /**
   * One Adam step in one pass (`kernels/adam.ts`) instead of core's 13 elementwise ops: three
   * outputs, split between threads when large.
   */
  adamUpdate(
    param: BackendTensor,
    grad: BackendTensor,
    m: BackendTensor | null,
    v: BackendTensor | null,
    h: AdamHyperparameters,
  ): AdamUpdate {
    const paramValues = (param as CpuTensor).values;
    const n = paramValues.length;
    const outParam = this.#alloc(n);
    const outM = this.#alloc(n);
    const outV = this.#alloc(n);
    this.#run(
      {
        kind: 'adam',
        param: paramValues,
        grad: (grad as CpuTensor).values,
        m: m === null ? null : (m as CpuTensor).values,
        v: v === null ? null : (v as CpuTensor).values,
        h,
        outParam,
        outM,
        outV,
      },
      n,
    );
    return {
      param: this.#wrap(outParam, param.shape),
      m: this.#wrap(outM, param.shape),
      v: this.#wrap(outV, param.shape),
    };
  }

  /** The sigma cache of `rho`, made on first use; null when caching is off. */
  #sigmaOf(rho: CpuTensor): SigmaCache | null {
    if (!this.#cacheSigma) return null;
    if (rho.sigmaCache !== undefined) return rho.sigmaCache;
    const n = rho.values.length;
    const shared = this.#pool !== null && n >= this.#parallelThreshold;
    const blocks = blocksOf(n);
    const cache: SigmaCache = {
      sigma: new Float64Array(shared ? new SharedArrayBuffer(n * 8) : new ArrayBuffer(n * 8)),
      logSums: new Float64Array(
        shared ? new SharedArrayBuffer(blocks * 8) : new ArrayBuffer(blocks * 8),
      ),
    };
    this.#run({ kind: 'sigma', rho: rho.values, ...cache }, n);
    rho.sigmaCache = cache;
    return cache;
  }

  gaussianSample(mu: BackendTensor, rho: BackendTensor, key: RandomKey): CpuTensor {
    const muValues = (mu as CpuTensor).values;
    const n = muValues.length;
    const out = this.#alloc(n);
    const cache = this.#sigmaOf(rho as CpuTensor);
    this.#run(
      {
        kind: 'sample',
        out,
        mu: muValues,
        rho: (rho as CpuTensor).values,
        sigma: cache?.sigma ?? null,
        seed: key.seed,
        counter: key.counter,
      },
      n,
    );
    return this.#wrap(out, mu.shape);
  }

  gaussianLogRatio(
    x: BackendTensor,
    mu: BackendTensor,
    rho: BackendTensor,
    prior: GaussianPrior,
  ): CpuTensor {
    const xValues = (x as CpuTensor).values;
    const n = xValues.length;
    const cache = this.#sigmaOf(rho as CpuTensor);
    const total = this.#run(
      {
        kind: 'logRatio',
        x: xValues,
        mu: (mu as CpuTensor).values,
        rho: (rho as CpuTensor).values,
        sigma: cache?.sigma ?? null,
        logSums: cache?.logSums ?? null,
        priorMu: prior.mu,
        priorScale: 1 / (2 * prior.std * prior.std),
        partials: null,
      },
      n,
    );
    return this.#wrap(Float32Array.of(n * Math.log(prior.std) + total), []);
  }
}
