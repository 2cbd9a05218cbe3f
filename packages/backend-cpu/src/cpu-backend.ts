import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendTensor,
  type KernelTable,
  type MemoryInfo,
  sizeOf,
  type TensorValues,
} from '@illia-ts/core';
import type { CpuContext, CpuTensor, SigmaCache } from './kernels/context.js';
import { bindKernels } from './kernels/index.js';
import { type Job, runJob } from './kernels/jobs.js';
import { blocksOf } from './kernels/random-normal.js';
import { raiseMallocThreshold } from './malloc-threshold.js';
import { KernelPool } from './parallel/kernel-pool.js';
import { threadCount } from './threads.js';

export type { CpuTensor } from './kernels/context.js';

/** What {@link CpuBackend} takes. */
export interface CpuBackendOptions {
  /** Its name (default `cpu`). */
  readonly name?: string;
  /**
   * Threads for large tensors, the calling one included (default: `ILLIA_CPU_THREADS`, else the
   * machine's available parallelism, at most 8; in a browser, `navigator.hardwareConcurrency`,
   * at most 8). At most the machine's available parallelism (or 2, if more): a larger count is
   * lowered with a process warning. A browser page that is not cross-origin isolated (no COOP
   * and COEP headers) has no shared memory: there every kernel runs on one thread, whatever the
   * count. Results are bitwise the same for every count; {@link CpuBackend.threads} says how
   * many are in use.
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
  /**
   * Where the worker script is. Default: in Node, `kernel-worker.js` next to this module; in a
   * browser, the script embedded in the package's browser build, started from a `blob:` URL
   * (a page whose content security policy refuses `blob:` workers can serve
   * `@illia-ts/backend-cpu/web-kernel-worker.js`, a classic script, and give its URL here).
   */
  readonly workerUrl?: URL;
  /**
   * Milliseconds a worker thread may take to start, and to finish its part of a kernel after the
   * calling thread finished its own (or ten times the caller's time, if longer), before it counts
   * as hung: it is then stopped and dropped, with a process warning, and the calling thread
   * computes the whole kernel (bitwise the same results). Default 10000.
   */
  readonly workerTimeout?: number;
  /**
   * In Node, at this backend's first read of at least 16384 elements, raise glibc's dynamic mmap
   * threshold to its 32 MiB limit, once per process (default true; `malloc-threshold.ts`): reads
   * of large results then reuse freed memory instead of page-faulting fresh pages in, at the price
   * of glibc keeping up to 64 MiB of freed memory for reuse. glibc does the same by itself once a
   * block of 32 MiB is freed; false leaves it to that.
   */
  readonly raiseMallocThreshold?: boolean;
}

/** How long a worker thread may take before it counts as hung (see `workerTimeout`). */
const DEFAULT_WORKER_TIMEOUT = 10_000;
/** The longest `workerTimeout`: setTimeout's limit (2^31 − 1 ms, about 24.8 days). */
const MAX_WORKER_TIMEOUT = 2 ** 31 - 1;

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

/** Below this many elements a read is a plain `slice()` (small allocations are cheap). */
const UNZEROED_MIN_LENGTH = 16384;

const nodeProcess = (
  globalThis as {
    process?: {
      versions?: { node?: string };
      getBuiltinModule?: (id: string) => unknown;
    };
  }
).process;

/**
 * The most bytes `Buffer.allocUnsafeSlow` gives (`buffer.constants.MAX_LENGTH`: 2^32 in Node 20,
 * so a read of more than 2^30 floats is a `slice()`).
 */
const UNZEROED_MAX_BYTES =
  (nodeProcess?.getBuiltinModule?.('node:buffer') as { constants?: { MAX_LENGTH?: number } })
    ?.constants?.MAX_LENGTH ?? 2 ** 32;

/**
 * The most elements a cpu tensor holds in Node: 2^31 − 1. V8 (Node 20.20) makes typed arrays of
 * up to 2^32 elements (`new Float32Array(2 ** 32 + 1)` throws "Invalid typed array length" before
 * allocating anything; 2^32 is accepted, measured) over ArrayBuffers and SharedArrayBuffers that
 * only memory limits (2^53 − 1 bytes); below that, the kernels keep element positions in int32
 * (`scatterAdd`'s sort by row, int32 indices), so 2^31 − 1 is where they stay right.
 */
export const MAX_ELEMENTS_NODE = 2 ** 31 - 1;

/**
 * The most bytes of one ArrayBuffer in a browser, taken from Chrome, the lowest of the major
 * engines: 0x7fe00000 (2,145,386,496; "Maximum size of ArrayBuffer" in ONNX Runtime Web's guide
 * to large models). A larger allocation throws "Array buffer allocation failed".
 */
const MAX_BYTES_BROWSER = 0x7fe00000;

/** The most elements a cpu tensor holds in a browser: {@link MAX_BYTES_BROWSER} of float32. */
export const MAX_ELEMENTS_BROWSER = MAX_BYTES_BROWSER / Float32Array.BYTES_PER_ELEMENT;

/** True in Node (and runtimes that say they are Node), where the larger limits hold. */
const inNode = typeof nodeProcess?.versions?.node === 'string';

/**
 * The `cpu` backend: storage in typed arrays (Float32Array, Int32Array for int32) and a kernel
 * table (`kernels/index.ts`), float arithmetic in float64 stored as float32. No dependencies; runs
 * in Node and browsers; reads synchronously. The matrix product and the convolutions run a
 * WebAssembly SIMD micro-kernel where the runtime has one; large kernels are split between worker
 * threads (Node) or Web Workers (a cross-origin isolated page; see `KernelPool`) with bitwise the
 * same results.
 */
export class CpuBackend implements Backend {
  readonly apiVersion = BACKEND_API_VERSION;
  readonly name: string;
  readonly epsilon = 2 ** -24;
  /**
   * The most elements one tensor holds ({@link MAX_ELEMENTS_NODE} in Node,
   * {@link MAX_ELEMENTS_BROWSER} elsewhere): core refuses a larger op output before any kernel runs.
   */
  readonly maxElements = inNode ? MAX_ELEMENTS_NODE : MAX_ELEMENTS_BROWSER;
  /** The kernels by op name, bound to this backend. */
  readonly kernels: KernelTable;
  readonly #live = new Set<CpuTensor>();
  #numBytes = 0;
  readonly #pool: KernelPool | null;
  readonly #parallelThreshold: number;
  readonly #cacheSigma: boolean;
  /** Whether large reads raise glibc's mmap threshold (`raiseMallocThreshold`; once a process). */
  readonly #raiseMalloc: boolean;
  /** Arrays of disposed tensors by length, for reuse; not counted by `memory()`. */
  readonly #spare = new Map<number, Float32Array[]>();
  #spareBytes = 0;
  /** Shared copies `share` made for the next `runSplit`. */
  readonly #copies: Float32Array[] = [];
  /** Shared arrays that small operands of a split binary op are copied to, by operand. */
  readonly #operandCopies: Float32Array[] = [];

  /** A cpu backend; `options` may be just its name. */
  constructor(options: CpuBackendOptions | string = {}) {
    const opts = typeof options === 'string' ? { name: options } : options;
    this.name = opts.name ?? 'cpu';
    this.#parallelThreshold = opts.parallelThreshold ?? 65536;
    this.#cacheSigma = opts.sigmaCache ?? true;
    const timeout = opts.workerTimeout ?? DEFAULT_WORKER_TIMEOUT;
    if (!(timeout > 0 && timeout <= MAX_WORKER_TIMEOUT)) {
      throw new RangeError(
        `CpuBackend: workerTimeout must be a number of milliseconds in (0, ${MAX_WORKER_TIMEOUT}], got ${String(timeout)}`,
      );
    }
    this.#raiseMalloc = opts.raiseMallocThreshold ?? true;
    this.#pool = KernelPool.create(threadCount(opts.threads), opts.workerUrl, timeout);
    this.kernels = bindKernels(this.#context());
  }

  /**
   * The threads kernels use now, the calling one included: 1 until the workers are up (see
   * {@link whenReady}), and always 1 where there are none (`threads: 1`, a browser page that is
   * not cross-origin isolated, a runtime without workers).
   */
  get threads(): number {
    return this.#pool?.threads ?? 1;
  }

  /**
   * How many kernels ran split between threads so far (0 where there is one thread): whether
   * the threads are used, for diagnostics and tests.
   */
  get splitJobs(): number {
    return this.#pool?.splitJobs ?? 0;
  }

  /**
   * How many ranges of split kernels the workers ran so far (in a page, the calling thread runs
   * those of workers that had not started when it finished its own): for diagnostics and tests.
   */
  get rangesOnWorkers(): number {
    return this.#pool === null ? 0 : this.#pool.rangesPosted - this.#pool.rangesRunByCaller;
  }

  /**
   * Resolves when the worker threads are up; until then every kernel runs on the calling thread
   * (with the same results). Resolves to the number of threads kernels use ({@link threads}).
   */
  async whenReady(): Promise<number> {
    if (this.#pool === null) return 1;
    await this.#pool.whenReady();
    return this.#pool.threads;
  }

  /** What kernels see of this backend (`kernels/context.ts`). */
  #context(): CpuContext {
    return {
      // `shared` false asks for nothing: large arrays are shared anyway, for the next kernel.
      float32: (n, shared) => this.#alloc(n, shared || undefined),
      int32: (n, shared) => asInt32(this.#alloc(n, shared || undefined)),
      wrap: (values, shape) => this.#wrap(values, shape),
      runBlocks: (job, n) => this.#run(job, n),
      splits: (work, units) =>
        this.#pool !== null &&
        this.#pool.threads > 1 &&
        units > 1 &&
        work >= this.#parallelThreshold,
      runSplit: (job, units) => {
        if (this.#pool === null) runJob(job, 0, units);
        else this.#pool.run(job, units);
        for (const copy of this.#copies.splice(0)) this.#recycle(copy);
      },
      share: (values) => {
        if (values.buffer instanceof SharedArrayBuffer || this.#pool === null) return values;
        const copy = this.#alloc(values.length, true);
        this.#copies.push(copy);
        if (values instanceof Int32Array) {
          const view = asInt32(copy);
          view.set(values);
          return view as typeof values;
        }
        copy.set(values);
        return copy as typeof values;
      },
      operand: (values, slot) => this.#sharedOperand(values, slot),
      sigmaOf: (rho) => this.#sigmaOf(rho),
    };
  }

  /**
   * An array of `n` floats for a kernel that writes every element, in shared memory when threads
   * may work on it (from `parallelThreshold` elements, or from the recycled length: a matMul's
   * work is not its size; or when `shared` says so). Large ones come from the arrays of disposed
   * tensors when one of the same length is spare: a fresh one costs a page fault per 4 KiB on
   * first write (about as much as the draws). Int32 outputs take the same arrays, viewed as int32.
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
  #recycle(values: Float32Array | Int32Array): void {
    if (values.length < RECYCLE_MIN_LENGTH) return;
    if (this.#spareBytes + values.byteLength > RECYCLE_MAX_BYTES) return;
    const floats = asFloat32(values);
    const list = this.#spare.get(floats.length);
    if (list === undefined) this.#spare.set(floats.length, [floats]);
    else list.push(floats);
    this.#spareBytes += floats.byteLength;
  }

  #run(job: Job, n: number): number {
    const blocks = blocksOf(n);
    if (this.#pool === null || n < this.#parallelThreshold) return runJob(job, 0, blocks);
    return this.#pool.run(job, blocks);
  }

  #wrap(values: Float32Array | Int32Array, shape: readonly number[]): CpuTensor {
    const dtype = values instanceof Int32Array ? 'int32' : 'float32';
    const t: CpuTensor = { shape: [...shape], dtype, values };
    this.#live.add(t);
    this.#numBytes += values.byteLength;
    return t;
  }

  makeTensor(values: TensorValues, shape: readonly number[]): CpuTensor {
    const int32 = values instanceof Int32Array;
    if (!int32 && !(values instanceof Float32Array)) {
      throw new TypeError(
        `cpu.makeTensor: values must be a Float32Array or an Int32Array, got ${Object.prototype.toString.call(values)}`,
      );
    }
    if (values.length !== sizeOf(shape)) {
      throw new RangeError(
        `cpu.makeTensor: shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, got ${values.length}`,
      );
    }
    const copy = this.#alloc(values.length);
    if (int32) {
      const view = asInt32(copy);
      view.set(values);
      return this.#wrap(view, shape);
    }
    copy.set(values);
    return this.#wrap(copy, shape);
  }

  read(x: BackendTensor): Promise<TensorValues> {
    return Promise.resolve(this.readSync(x));
  }

  /** A copy of the values: a Float32Array, or an Int32Array for an int32 tensor. */
  readSync(x: BackendTensor): TensorValues {
    const values = (x as CpuTensor).values;
    if (
      values.length < UNZEROED_MIN_LENGTH ||
      unzeroed === undefined ||
      values.byteLength > UNZEROED_MAX_BYTES
    ) {
      return values.slice();
    }
    if (this.#raiseMalloc) raiseMallocThreshold();
    // An ordinary (unshared, unpooled) ArrayBuffer the caller owns, every byte overwritten here.
    const buffer = unzeroed(values.byteLength).buffer;
    const copy =
      values instanceof Int32Array
        ? new Int32Array(buffer, 0, values.length)
        : new Float32Array(buffer, 0, values.length);
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

  /** The sigma cache of `rho`, made on first use; null when caching is off. */
  #sigmaOf(rho: CpuTensor): SigmaCache | null {
    // A cache of more than one ArrayBuffer holds in a browser is skipped (the same bits without).
    if (!this.#cacheSigma || (!inNode && rho.values.length * 8 > MAX_BYTES_BROWSER)) return null;
    if (rho.sigmaCache !== undefined) return rho.sigmaCache;
    const values = rho.values as Float32Array;
    const n = values.length;
    const shared = this.#pool !== null && n >= this.#parallelThreshold;
    const blocks = blocksOf(n);
    const cache: SigmaCache = {
      sigma: new Float64Array(shared ? new SharedArrayBuffer(n * 8) : new ArrayBuffer(n * 8)),
      logSums: new Float64Array(
        shared ? new SharedArrayBuffer(blocks * 8) : new ArrayBuffer(blocks * 8),
      ),
    };
    this.#run({ kind: 'sigma', rho: values, ...cache }, n);
    rho.sigmaCache = cache;
    return cache;
  }
}

/** The same memory as int32. */
const asInt32 = (values: Float32Array): Int32Array =>
  new Int32Array(values.buffer, values.byteOffset, values.length);

/** The same memory as float32 (recycled arrays are kept as Float32Array). */
const asFloat32 = (values: Float32Array | Int32Array): Float32Array =>
  values instanceof Float32Array
    ? values
    : new Float32Array(values.buffer, values.byteOffset, values.length);
