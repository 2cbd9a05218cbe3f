import type { Backend, BackendTensor, DType, MemoryInfo, ValuesOf } from './backend.js';
import {
  backendName,
  closeScope,
  type Disposable,
  deferToTape,
  getBackend,
  openScope,
  track,
  untrack,
} from './engine.js';
import { firstNonFinite } from './flags.js';
import { formatShape, sameShape, sizeOf } from './shape.js';
import { checkShape, describe } from './validate.js';

/**
 * An immutable tensor: a handle on memory of the backend that made it. Its dtype is `float32`
 * (values) or `int32` (indices, labels); `Tensor` alone means a float32 one.
 * Make one with {@link tensor} or an op; free it with {@link Tensor.dispose} or {@link tidy}.
 */
export class Tensor<D extends DType = 'float32'> implements Disposable {
  /** Dimensions, outermost first; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** `'float32'` or `'int32'`. */
  readonly dtype: D;
  /** Number of elements. */
  readonly size: number;
  /** The backend that holds it. */
  readonly backend: Backend;
  /**
   * @internal For int32 tensors: the smallest and largest value, where known without a read (made
   * from host values, or by an op that only moves values), so index checks cost nothing.
   */
  valueRange: readonly [number, number] | undefined;
  /** @internal In debug mode on backends without synchronous reads: the op that made it. */
  madeBy: string | undefined;
  #handle: BackendTensor | null;

  /** @internal Wraps a backend handle; use {@link tensor} or an op to make tensors. */
  constructor(handle: BackendTensor, backend: Backend) {
    this.#handle = handle;
    this.backend = backend;
    this.dtype = handle.dtype as D;
    this.shape = Object.freeze([...handle.shape]);
    this.size = sizeOf(this.shape);
    track(this);
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.#handle === null;
  }

  /** @internal The backend handle; throws if disposed. `where` names the caller in the error. */
  handle(where = 'Tensor'): BackendTensor {
    if (this.#handle === null) {
      throw new Error(
        `${where}: tensor of shape ${formatShape(this.shape)} was used after dispose()`,
      );
    }
    return this.#handle;
  }

  /** A copy of the values, row-major. Waits for a lazy backend to compute them. */
  data(): Promise<ValuesOf<D>> {
    try {
      const read = this.backend.read(this.handle('Tensor.data')) as Promise<ValuesOf<D>>;
      const madeBy = this.madeBy;
      if (madeBy === undefined) return read;
      const shape = this.shape;
      return read.then((values) => {
        const at = firstNonFinite(values);
        if (at >= 0) {
          throw new RangeError(
            `debug mode: ${madeBy} gave a non-finite value at element ${at} of its output ${formatShape(shape)}`,
          );
        }
        return values;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A copy of the values, synchronously, where the backend can read synchronously. */
  dataSync(): ValuesOf<D> {
    const handle = this.handle('Tensor.dataSync');
    if (!this.backend.readSync) {
      throw new Error(
        `Tensor.dataSync: backend '${backendName(this.backend)}' cannot read synchronously; use \`await tensor.data()\``,
      );
    }
    return this.backend.readSync(handle) as ValuesOf<D>;
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) {
      throw new RangeError(
        `Tensor.item: expected a tensor of one element, got shape ${formatShape(this.shape)}`,
      );
    }
    const values = await this.data();
    return values[0] as number;
  }

  /** Frees the backend memory. Calling it again does nothing; using the tensor again throws. */
  dispose(): void {
    if (this.#handle === null) return;
    // A gradient tape that saved this tensor frees it after its backward pass.
    if (deferToTape(this)) return;
    const handle = this.#handle;
    this.#handle = null;
    untrack(this);
    this.backend.dispose(handle);
  }

  /** @internal Gives up the handle without freeing it (it moves into a {@link Variable}). */
  releaseHandle(where: string): BackendTensor {
    const handle = this.handle(where);
    this.#handle = null;
    untrack(this);
    return handle;
  }

  /** Replaces the handle, freeing the old one (for {@link Variable.assign}). */
  protected replaceHandle(next: BackendTensor): void {
    const old = this.#handle;
    this.#handle = next;
    if (old !== null) this.backend.dispose(old);
  }

  toString(): string {
    return `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}, backend=${backendName(this.backend)}${this.isDisposed ? ', disposed' : ''})`;
  }
}

/**
 * A tensor whose values can be replaced: a learnable parameter. It is never disposed by `tidy`
 * (only by its own `dispose()`), and {@link Variable.assign} swaps in new values without changing
 * its identity, so optimizers and `parameters()` lists keep working.
 */
export class Variable extends Tensor {
  /** @internal Use {@link Variable.from}. */
  constructor(handle: BackendTensor, backend: Backend) {
    super(handle, backend);
    untrack(this);
  }

  /** A variable that takes over the values of `t` (which is disposed, its memory moved). */
  static from(t: Tensor): Variable {
    if (!(t instanceof Tensor)) {
      throw new TypeError(`Variable.from: t must be a Tensor, got ${describe(t)}`);
    }
    if (t.dtype !== 'float32') {
      throw new TypeError(`Variable.from: t must be a float32 tensor, got ${t.dtype}`);
    }
    return new Variable(t.releaseHandle('Variable.from'), t.backend);
  }

  /**
   * Replaces the values with those of `value`, a live tensor of the same shape and backend;
   * `value` is consumed (its memory moves into the variable).
   */
  assign(value: Tensor): void {
    const where = 'Variable.assign';
    if (!(value instanceof Tensor)) {
      throw new TypeError(`${where}: value must be a Tensor, got ${describe(value)}`);
    }
    this.handle(where);
    if (value.backend !== this.backend) {
      throw new TypeError(`${where}: value lives on another backend than the variable`);
    }
    if (!sameShape(value.shape, this.shape)) {
      throw new RangeError(
        `${where}: value must have the variable's shape ${formatShape(this.shape)}, got ${formatShape(value.shape)}`,
      );
    }
    if (value === this) return;
    this.replaceHandle(value.releaseHandle(where));
  }
}

/**
 * A tensor on the current backend holding `values` (copied) with `shape` (default: a vector) and
 * `dtype` (default `float32`; `int32` takes integers in [−2^31, 2^31)).
 */
export function tensor(values: ArrayLike<number> | number, shape?: readonly number[]): Tensor;
export function tensor<D extends DType>(
  values: ArrayLike<number> | number,
  shape: readonly number[] | undefined,
  dtype: D,
): Tensor<D>;
export function tensor(
  values: ArrayLike<number> | number,
  shape?: readonly number[],
  dtype: DType = 'float32',
): Tensor<DType> {
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new TypeError(`tensor: dtype must be 'float32' or 'int32', got ${describe(dtype)}`);
  }
  const source = typeof values === 'number' ? [values] : isNumberArrayLike(values) ? values : null;
  if (source === null) {
    throw new TypeError(
      `tensor: values must be a number, an array of numbers (no holes) or a typed array of numbers, got ${describe(values)}`,
    );
  }
  if (source.length === 0) {
    throw new RangeError(
      'tensor: values must hold at least one number, got none (tensors have no empty dimensions)',
    );
  }
  const dims =
    shape === undefined
      ? typeof values === 'number'
        ? []
        : [source.length]
      : checkShape('tensor', 'shape', shape);
  if (sizeOf(dims) !== source.length) {
    throw new RangeError(
      `tensor: shape ${formatShape(dims)} holds ${sizeOf(dims)} values, but values has ${source.length}`,
    );
  }
  const backend = getBackend();
  if (dtype === 'float32') {
    const array = source instanceof Float32Array ? source : Float32Array.from(source);
    return new Tensor<'float32'>(backend.makeTensor(array, dims), backend);
  }
  const array = new Int32Array(source.length);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < source.length; i++) {
    const v = source[i] as number;
    if (!(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) {
      throw new RangeError(
        `tensor: int32 values must be integers in [-2^31, 2^31), got ${describe(v)} at index ${i}`,
      );
    }
    array[i] = v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const t = new Tensor<'int32'>(backend.makeTensor(array, dims), backend);
  if (source.length > 0) t.valueRange = [lo, hi];
  return t;
}

/** Arrays of numbers (no holes) and typed arrays of numbers; not DataViews or BigInt arrays. */
function isNumberArrayLike(values: unknown): values is ArrayLike<number> {
  if (ArrayBuffer.isView(values)) {
    return !(
      values instanceof DataView ||
      values instanceof BigInt64Array ||
      values instanceof BigUint64Array
    );
  }
  if (!Array.isArray(values)) return false;
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'number') return false;
  return true;
}

/** What {@link tidy} may return: tensors, possibly inside arrays or plain objects. */
export type TensorContainer =
  | Tensor<DType>
  | number
  | string
  | boolean
  | null
  | undefined
  // biome-ignore lint/suspicious/noConfusingVoidType: lets tidy(() => { ... }) take a function that returns nothing
  | void
  | readonly TensorContainer[]
  | { readonly [key: string]: TensorContainer };

function collectTensors(value: unknown, into: Set<Disposable>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const item of value) collectTensors(item, into);
  else if (isPlainObject(value)) {
    for (const item of Object.values(value)) collectTensors(item, into);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Runs `fn` and disposes every tensor made inside it except those it returns.
 * `fn` must be synchronous.
 */
export function tidy<T extends TensorContainer>(fn: () => T): T {
  if (typeof fn !== 'function') {
    throw new TypeError(`tidy: fn must be a function, got ${describe(fn)}`);
  }
  // An async function would go on after tidy returned, making tensors no scope frees and
  // rejecting where nobody listens: refuse it before it starts.
  if (fn.constructor?.name === 'AsyncFunction') {
    throw new TypeError('tidy: fn must be synchronous, got an async function');
  }
  const scope = openScope();
  const keep = new Set<Disposable>();
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      result.catch(() => undefined);
      throw new TypeError('tidy: fn must be synchronous, but it returned a Promise');
    }
    collectTensors(result, keep);
  } finally {
    closeScope(scope, keep);
  }
  return result;
}

/** Keeps a tensor alive when the tidy scope it was made in closes. Returns it. */
export function keep<T extends Tensor<DType>>(t: T): T {
  untrack(t);
  return t;
}

/** Live tensors and bytes of the current backend, and its name. */
export function memory(): MemoryInfo & { readonly backend: string } {
  const backend = getBackend();
  return { ...backend.memory(), backend: backendName(backend) };
}

/** A tensor of either dtype. */
export type AnyTensor = Tensor<DType>;
