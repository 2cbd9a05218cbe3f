import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendTensor,
  type GaussianPrior,
  type MemoryInfo,
  type RandomKey,
} from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import { type EngineTraits, probeEngine } from './engine-traits.js';
import { activate, defaultEngine, loadEngine } from './engines.js';
import { compensatedLog1p, nanMaximum, stableSoftplus } from './kernels/elementwise.js';
import { gaussianLogRatio, gaussianSample } from './kernels/gaussian.js';
import { randomNormal } from './kernels/random-normal.js';
import { sumAxes } from './kernels/sum.js';
import { compare, logSoftmax } from './kernels/training.js';

/** A tensor of the tfjs backend: the tfjs tensor itself. */
export type TfjsTensor = tf.Tensor & BackendTensor;

/** The tfjs tensor behind a handle: every handle core gives this backend is one it made. */
function asTf(x: BackendTensor): tf.Tensor {
  return x as tf.Tensor;
}

/** Options of {@link createTfjsBackend}. */
export interface TfjsBackendOptions {
  /**
   * The tfjs engine to run on: `cpu`, `wasm`, `tensorflow` (tfjs-node), `webgl`, `webgpu` or any
   * tfjs backend the app registered. Default: the environment variable `ILLIA_TFJS_ENGINE`; else
   * in Node `tensorflow` when `@tensorflow/tfjs-node` is installed and `cpu` otherwise; else the
   * engine tfjs picks.
   */
  readonly engine?: string;
  /** The name the backend reports (default `tfjs`). */
  readonly name?: string;
}

/**
 * Makes a tfjs backend: loads and initialises its engine (importing the engine's package when it
 * is not registered yet), makes it tfjs's active engine and probes its kernels.
 *
 * @example
 * registerBackend('tfjs-wasm', () => createTfjsBackend({ engine: 'wasm', name: 'tfjs-wasm' }));
 */
export async function createTfjsBackend(options: TfjsBackendOptions = {}): Promise<TfjsBackend> {
  const engine = options.engine ?? (await defaultEngine());
  await loadEngine(engine);
  return new TfjsBackend(options.name ?? 'tfjs', engine, await probeEngine());
}

/**
 * The `tfjs` backend: illia-ts kernels as TensorFlow.js ops on one tfjs engine.
 *
 * Its tensors are tfjs tensors that no `tf.tidy` scope owns (they are `tf.keep`-ed: illia-ts's own
 * `tidy` and `dispose` free them), so a user's `tf.tidy` around illia-ts calls frees nothing of
 * ours; every intermediate tfjs tensor of a kernel is freed inside the kernel. tfjs has one active
 * engine per process: each kernel makes this backend's engine the active one if it is not.
 */
export class TfjsBackend implements Backend {
  readonly apiVersion = BACKEND_API_VERSION;
  readonly name: string;
  /** The tfjs engine it runs on, such as `cpu` or `wasm`. */
  readonly engine: string;
  readonly epsilon: number;
  /** What the engine's kernels get right (measured when the backend was made). */
  readonly traits: EngineTraits;
  /** Present where the engine reads synchronously (cpu, wasm, tensorflow, webgl). */
  readonly readSync?: (x: BackendTensor) => Float32Array;

  /** Use {@link createTfjsBackend}: the engine must be loaded and probed first. */
  constructor(name: string, engine: string, traits: EngineTraits) {
    this.name = name;
    this.engine = engine;
    this.traits = traits;
    this.epsilon = traits.epsilon;
    if (traits.syncRead) {
      this.readSync = (x) => this.#own(asTf(x).dataSync() as Float32Array);
    }
  }

  /** Runs `op` on this backend's engine; the result leaves every tfjs scope (see the class). */
  #run(op: () => tf.Tensor): TfjsTensor {
    activate(this.engine);
    return tf.keep(op());
  }

  /** A read result the caller may keep and change. */
  #own(values: Float32Array): Float32Array {
    return this.traits.readAliases ? values.slice() : values;
  }

  makeTensor(values: Float32Array, shape: readonly number[]): TfjsTensor {
    // tfjs may keep the array it is given: the copy is what makes later changes to `values` safe.
    return this.#run(() => tf.tensor(values.slice(), [...shape], 'float32'));
  }

  async read(x: BackendTensor): Promise<Float32Array> {
    return this.#own((await asTf(x).data()) as Float32Array);
  }

  dispose(x: BackendTensor): void {
    asTf(x).dispose();
  }

  memory(): MemoryInfo {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  }

  randomNormal(shape: readonly number[], key: RandomKey): TfjsTensor {
    return this.#run(() => randomNormal(shape, key));
  }

  neg = (x: BackendTensor) => this.#run(() => tf.neg(asTf(x)));
  exp = (x: BackendTensor) => this.#run(() => tf.exp(asTf(x)));
  log = (x: BackendTensor) => this.#run(() => tf.log(asTf(x)));
  log1p = (x: BackendTensor) => this.#run(() => this.#log1p(asTf(x)));
  sqrt = (x: BackendTensor) => this.#run(() => tf.sqrt(asTf(x)));
  square = (x: BackendTensor) => this.#run(() => tf.square(asTf(x)));
  abs = (x: BackendTensor) => this.#run(() => tf.abs(asTf(x)));
  softplus = (x: BackendTensor) => this.#run(() => this.#softplus(asTf(x)));

  add = (a: BackendTensor, b: BackendTensor) => this.#run(() => tf.add(asTf(a), asTf(b)));
  sub = (a: BackendTensor, b: BackendTensor) => this.#run(() => tf.sub(asTf(a), asTf(b)));
  mul = (a: BackendTensor, b: BackendTensor) => this.#run(() => tf.mul(asTf(a), asTf(b)));
  div = (a: BackendTensor, b: BackendTensor) => this.#run(() => tf.div(asTf(a), asTf(b)));
  maximum = (a: BackendTensor, b: BackendTensor) =>
    this.#run(() =>
      this.traits.maximumPropagatesNaN
        ? tf.maximum(asTf(a), asTf(b))
        : nanMaximum(asTf(a), asTf(b)),
    );

  sum(x: BackendTensor, axes: readonly number[]): TfjsTensor {
    return this.#run(() => sumAxes(asTf(x), axes, this.traits.accurateSum));
  }

  matMul(a: BackendTensor, b: BackendTensor, transposeA: boolean, transposeB: boolean): TfjsTensor {
    return this.#run(() => tf.matMul(asTf(a), asTf(b), transposeA, transposeB));
  }

  transpose(x: BackendTensor, perm: readonly number[]): TfjsTensor {
    return this.#run(() => tf.transpose(asTf(x), [...perm]));
  }

  /**
   * A new tfjs tensor on the same data, not a copy: tfjs counts references to the buffer, so
   * disposing either tensor leaves the other intact and the buffer goes with the last one.
   * `memory()` still reports 4 bytes per element for each live handle, as `MemoryInfo` says
   * (`tf.memory().numBytes` is per tensor; `numDataBuffers` is what shows the sharing).
   */
  reshape(x: BackendTensor, shape: readonly number[]): TfjsTensor {
    return this.#run(() => tf.reshape(asTf(x), [...shape]));
  }

  relu = (x: BackendTensor) => this.#run(() => tf.relu(asTf(x)));
  sigmoid = (x: BackendTensor) => this.#run(() => tf.sigmoid(asTf(x)));
  tanh = (x: BackendTensor) => this.#run(() => tf.tanh(asTf(x)));

  logSoftmax(x: BackendTensor): TfjsTensor {
    return this.#run(() => logSoftmax(asTf(x), this.traits.accurateSum));
  }

  greater = (a: BackendTensor, b: BackendTensor) =>
    this.#run(() => compare(asTf(a), asTf(b), tf.greater));
  less = (a: BackendTensor, b: BackendTensor) =>
    this.#run(() => compare(asTf(a), asTf(b), tf.less));

  gaussianSample(mu: BackendTensor, rho: BackendTensor, key: RandomKey): TfjsTensor {
    return this.#run(() => gaussianSample(this.#gaussian, asTf(mu), asTf(rho), key));
  }

  gaussianLogRatio(
    x: BackendTensor,
    mu: BackendTensor,
    rho: BackendTensor,
    prior: GaussianPrior,
  ): TfjsTensor {
    return this.#run(() => gaussianLogRatio(this.#gaussian, asTf(x), asTf(mu), asTf(rho), prior));
  }

  #log1p = (x: tf.Tensor): tf.Tensor =>
    this.traits.accurateLog1p ? tf.log1p(x) : compensatedLog1p(x);

  #softplus = (x: tf.Tensor): tf.Tensor =>
    this.traits.accurateSoftplus ? tf.softplus(x) : stableSoftplus(x, this.#log1p);

  readonly #gaussian = {
    softplus: (x: tf.Tensor) => this.#softplus(x),
    sumAll: (x: tf.Tensor) =>
      sumAxes(
        x,
        x.shape.map((_, d) => d),
        this.traits.accurateSum,
      ),
  };
}
