/**
 * The contract between `@illia-ts/core` and a compute backend.
 *
 * A backend implements kernels, not algorithms: it knows nothing of distributions. Core validates
 * every argument before a kernel sees it, so a kernel may assume well-formed input (shapes that
 * broadcast, axes in range, tensors it created itself and has not disposed).
 */

/**
 * The version of this interface. Core refuses a backend that implements another one.
 * 1: the first. 2: the training kernels (matMul … less) are required, no longer optional.
 */
export const BACKEND_API_VERSION = 2 as const;

/** A backend's handle on one tensor. Backends extend it with whatever they need. */
export interface BackendTensor {
  readonly shape: readonly number[];
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
  /** Bytes they hold (4 per float32 element). */
  readonly numBytes: number;
}

/** The prior of a Gaussian log-ratio: `N(mu, std²)`. */
export interface GaussianPrior {
  readonly mu: number;
  readonly std: number;
}

/**
 * The numbers of one Adam step (see {@link Backend.adamUpdate}): the decay rates, the epsilon
 * added to the denominator, the learning rate, and the bias corrections `c1 = 1 − beta1^t`,
 * `c2 = 1 − beta2^t` of step t.
 */
export interface AdamHyperparameters {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly lr: number;
  readonly c1: number;
  readonly c2: number;
}

/** What {@link Backend.adamUpdate} returns: three new tensors, each of the parameter's shape. */
export interface AdamUpdate {
  readonly param: BackendTensor;
  readonly m: BackendTensor;
  readonly v: BackendTensor;
}

/** The elementwise kernels that training needs. */
export type TrainingUnaryKernel = 'relu' | 'sigmoid' | 'tanh';
/** Broadcasting comparisons: 1 where true, 0 where false. */
export type ComparisonKernel = 'greater' | 'less';

/** The elementwise kernels every backend has. */
export type UnaryKernel = 'neg' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'square' | 'abs' | 'softplus';
/** The broadcasting binary kernels every backend has. */
export type BinaryKernel = 'add' | 'sub' | 'mul' | 'div' | 'maximum';

/**
 * A compute backend.
 *
 * Required members are the primitives; optional members are capabilities that core uses when they
 * are present and composes from the primitives when they are absent. Both paths must agree to
 * float32 rounding (the conformance suite checks it).
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

  /** A new tensor holding a copy of `values` (length = product of `shape`). */
  makeTensor(values: Float32Array, shape: readonly number[]): BackendTensor;
  /** A fresh copy of the values, owned by the caller. */
  read(x: BackendTensor): Promise<Float32Array>;
  /** The same as {@link read}, synchronously; absent where the engine cannot read synchronously. */
  readSync?(x: BackendTensor): Float32Array;
  /** Releases the caller's handle. A lazy backend keeps what recorded ops still need. */
  dispose(x: BackendTensor): void;
  /** Live tensors and bytes. */
  memory(): MemoryInfo;

  /** Independent standard normal draws, determined by `key`. */
  randomNormal(shape: readonly number[], key: RandomKey): BackendTensor;

  neg(x: BackendTensor): BackendTensor;
  exp(x: BackendTensor): BackendTensor;
  log(x: BackendTensor): BackendTensor;
  log1p(x: BackendTensor): BackendTensor;
  sqrt(x: BackendTensor): BackendTensor;
  square(x: BackendTensor): BackendTensor;
  abs(x: BackendTensor): BackendTensor;
  /** `log(1 + exp(x))`, finite for every finite x: `max(x, 0) + log1p(exp(-|x|))`. */
  softplus(x: BackendTensor): BackendTensor;

  /** Broadcasting binary kernels (NumPy rules); core has checked that the shapes broadcast. */
  add(a: BackendTensor, b: BackendTensor): BackendTensor;
  sub(a: BackendTensor, b: BackendTensor): BackendTensor;
  mul(a: BackendTensor, b: BackendTensor): BackendTensor;
  div(a: BackendTensor, b: BackendTensor): BackendTensor;
  maximum(a: BackendTensor, b: BackendTensor): BackendTensor;

  /**
   * Sum over `axes` (sorted, distinct, in range, not empty), dropping them. Accurate enough that a
   * million float32 terms stay within 1e-4 relative error of the exact sum (pairwise or wider).
   */
  sum(x: BackendTensor, axes: readonly number[]): BackendTensor;

  // Kernels that training needs (gradients, layers, losses).

  /** `a · b` for 2-D `a` and `b`, either transposed first. Core has checked the inner sizes. */
  matMul(
    a: BackendTensor,
    b: BackendTensor,
    transposeA: boolean,
    transposeB: boolean,
  ): BackendTensor;
  /** Permutes the axes: output axis i is input axis `perm[i]`. */
  transpose(x: BackendTensor, perm: readonly number[]): BackendTensor;
  /** The same values, row-major, in another shape of the same size. */
  reshape(x: BackendTensor, shape: readonly number[]): BackendTensor;
  /** `max(x, 0)` */
  relu(x: BackendTensor): BackendTensor;
  /** `1 / (1 + e^−x)`, without overflow. */
  sigmoid(x: BackendTensor): BackendTensor;
  /** Hyperbolic tangent. */
  tanh(x: BackendTensor): BackendTensor;
  /** `x − logsumexp(x)` along the last axis, computed stably. */
  logSoftmax(x: BackendTensor): BackendTensor;
  /** `a > b` as 1 or 0, broadcasting. */
  greater(a: BackendTensor, b: BackendTensor): BackendTensor;
  /** `a < b` as 1 or 0, broadcasting. */
  less(a: BackendTensor, b: BackendTensor): BackendTensor;

  /**
   * Optional fused kernel: `mu + softplus(rho) ⊙ eps` with `eps` the draws that
   * `randomNormal(mu.shape, key)` gives. `mu` and `rho` have the same shape.
   */
  gaussianSample?(mu: BackendTensor, rho: BackendTensor, key: RandomKey): BackendTensor;

  /**
   * Optional fused kernel: the scalar
   * `Σ log N(x; mu, softplus(rho)) − Σ log N(x; prior.mu, prior.std)`, computed as
   * `Σ [log prior.std − log σ − (x−mu)²/(2σ²) + (x−prior.mu)²/(2 prior.std²)]`.
   * `x`, `mu` and `rho` have the same shape.
   */
  gaussianLogRatio?(
    x: BackendTensor,
    mu: BackendTensor,
    rho: BackendTensor,
    prior: GaussianPrior,
  ): BackendTensor;

  /**
   * Optional fused kernel: one Adam step of one parameter, the math core's `Adam.step` otherwise
   * composes from 13 elementwise kernels:
   * `m' = beta1·m + (1−beta1)·g`, `v' = beta2·v + (1−beta2)·g²` (just `(1−beta1)·g` and
   * `(1−beta2)·g²` where `m` and `v` are null: the first step), and
   * `param' = param − (lr/c1) · m' / (sqrt(v'/c2) + epsilon)`.
   * `param`, `grad`, `m` and `v` have the same shape; the three results are new tensors (the
   * inputs stay valid: core disposes the old ones).
   */
  adamUpdate?(
    param: BackendTensor,
    grad: BackendTensor,
    m: BackendTensor | null,
    v: BackendTensor | null,
    h: AdamHyperparameters,
  ): AdamUpdate;
}

/** What {@link registerBackend} takes: something that makes the backend, maybe asynchronously. */
export type BackendFactory = () => Backend | Promise<Backend>;

/**
 * Every method a backend must have, checked when it is set (so a backend written in plain
 * JavaScript, or against another version of this file, fails with the names of what it lacks).
 * The compiler checks that the list is complete (below).
 */
export const REQUIRED_METHODS = [
  'makeTensor',
  'read',
  'dispose',
  'memory',
  'randomNormal',
  'neg',
  'exp',
  'log',
  'log1p',
  'abs',
  'square',
  'sqrt',
  'softplus',
  'add',
  'sub',
  'mul',
  'div',
  'maximum',
  'sum',
  'matMul',
  'transpose',
  'reshape',
  'relu',
  'sigmoid',
  'tanh',
  'logSoftmax',
  'greater',
  'less',
] as const satisfies readonly (keyof Backend)[];

/** The names of the methods that {@link Backend} requires (not optional). */
type RequiredMethod = {
  [K in keyof Backend]-?: undefined extends Backend[K]
    ? never
    : Backend[K] extends (...args: never[]) => unknown
      ? K
      : never;
}[keyof Backend];

/** Fails to compile, naming the method, if a required method is missing from the list. */
const listIsComplete: Exclude<RequiredMethod, (typeof REQUIRED_METHODS)[number]> extends never
  ? true
  : Exclude<RequiredMethod, (typeof REQUIRED_METHODS)[number]> = true;
void listIsComplete;
