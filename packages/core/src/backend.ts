/**
 * The contract between `@illia-ts/core` and a compute backend.
 *
 * A backend is storage plus a table of kernels, one per op (`kernels[opName]`). Ops are defined in
 * core (`src/ops/`): each definition checks the arguments, computes the output shape and dtype,
 * and only then calls the kernel, so a kernel may assume well-formed input (shapes that fit, axes
 * in range, tensors it created itself and has not disposed) and gets its output's shape and dtype
 * already computed.
 */

/**
 * The version of this interface. Core refuses a backend that implements another one.
 * 1: the first. 2: the training kernels became required. 3: kernels in a table keyed by op name,
 * called as `(inputs, attrs, output)`; int32 tensors. New ops add kernels to the table without a
 * version change: a kernel with a composed fallback is optional, and a backend that lacks a
 * required one is refused at `setBackend` with the kernel's name.
 */
export const BACKEND_API_VERSION = 3 as const;

/** The element types of tensors: `float32` for values, `int32` for indices and labels. */
export type DType = 'float32' | 'int32';

/** The array that holds values of a dtype. */
export type ValuesOf<D extends DType> = D extends 'int32' ? Int32Array : Float32Array;

/** Values of either dtype. */
export type TensorValues = Float32Array | Int32Array;

/** A backend's handle on one tensor. Backends extend it with whatever they need. */
export interface BackendTensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * The key of one random op: a generator's seed and how many keys it handed out before.
 * Both are unsigned 32-bit integers. The same key must give the same numbers on the same backend;
 * different keys must give independent streams.
 */
export interface RandomKey {
  readonly seed: number;
  readonly counter: number;
}

/** Live tensors of one backend. */
export interface MemoryInfo {
  /** Tensors created and not yet disposed. */
  readonly numTensors: number;
  /** Bytes they hold (4 per element: float32 and int32 alike). */
  readonly numBytes: number;
}

/** The shape and dtype of a kernel's output, computed by core before the kernel runs. */
export interface KernelOutput {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * One kernel: the inputs (handles of this backend, in the op's order), the op's normalised
 * attributes (see the op's `Attrs` type in `@illia-ts/core`), and the output's shape and dtype.
 * Returns a new handle; an op with several outputs (`adamUpdate`) returns them in an array.
 */
// biome-ignore lint/suspicious/noExplicitAny: a table of kernels with different attribute types
export type Kernel<A = any> = (
  inputs: readonly BackendTensor[],
  attrs: A,
  output: KernelOutput,
) => BackendTensor | readonly BackendTensor[];

/** A backend's kernels by op name. */
export type KernelTable = Readonly<Record<string, Kernel | undefined>>;

/**
 * A compute backend: memory, reads, and a kernel table. Which kernels are required and which
 * optional is said by the op definitions (`listOps()`), not here.
 */
export interface Backend {
  /** Must equal {@link BACKEND_API_VERSION}. */
  readonly apiVersion: typeof BACKEND_API_VERSION;
  /** The name it is registered under, such as `cpu`. */
  readonly name: string;
  /**
   * Relative error of its float arithmetic: the float32 unit roundoff 2^-24 unless the backend
   * computes in lower precision. The conformance suite derives float tolerances from it.
   */
  readonly epsilon: number;

  /**
   * A new tensor holding a copy of `values` (length = product of `shape`); its dtype is the
   * array's: `float32` for a Float32Array, `int32` for an Int32Array.
   */
  makeTensor(values: TensorValues, shape: readonly number[]): BackendTensor;
  /** A fresh copy of the values (a Float32Array or an Int32Array, by dtype), owned by the caller. */
  read(x: BackendTensor): Promise<TensorValues>;
  /** The same as {@link read}, synchronously; absent where the engine cannot read synchronously. */
  readSync?(x: BackendTensor): TensorValues;
  /** Releases the caller's handle. A lazy backend keeps what recorded ops still need. */
  dispose(x: BackendTensor): void;
  /** Live tensors and bytes. */
  memory(): MemoryInfo;

  /** The kernels, by op name. */
  readonly kernels: KernelTable;

  /**
   * The most elements one tensor may have on this engine (default {@link DEFAULT_MAX_ELEMENTS}).
   * Core refuses a larger op output before the kernel runs, so every backend fails the same fast
   * way instead of in its engine.
   */
  readonly maxElements?: number;
}

/** The element limit where a backend states none: 2^31 − 1, the int32 index range engines use. */
export const DEFAULT_MAX_ELEMENTS = 2 ** 31 - 1;

/** What {@link registerBackend} takes: something that makes the backend, maybe asynchronously. */
export type BackendFactory = () => Backend | Promise<Backend>;

/** The members every backend must have besides its kernels, checked when it is set. */
export const REQUIRED_MEMBERS = [
  'makeTensor',
  'read',
  'dispose',
  'memory',
] as const satisfies readonly (keyof Backend)[];
