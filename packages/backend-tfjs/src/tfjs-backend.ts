import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendTensor,
  type DType,
  type Kernel,
  type KernelTable,
  type MemoryInfo,
  type TensorValues,
} from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import { type EngineTraits, probeEngine } from './engine-traits.js';
import {
  activate,
  defaultEngine,
  engineFromEnv,
  exclusively,
  loadEngine,
  maxElementsOf,
} from './engines.js';
import { KERNELS } from './kernels/index.js';
import { hostMemoryEngine, kernelEnv } from './kernels/kernel.js';

/** A tensor of the tfjs backend: the tfjs tensor itself (float32 or int32, never bool). */
export type TfjsTensor = tf.Tensor & BackendTensor;

/** The tfjs tensor behind a handle: every handle core gives this backend is one it made. */
function asTf(x: BackendTensor): tf.Tensor {
  return x as tf.Tensor;
}

/** Options of {@link createTfjsBackend}. */
export interface TfjsBackendOptions {
  /**
   * The tfjs engine to run on: `cpu`, `wasm`, `tensorflow` (tfjs-node), `webgl`, `webgpu` or any
   * tfjs backend the app registered. Default: in Node the environment variable
   * `ILLIA_TFJS_ENGINE`, else `cpu` (never the engine tfjs would pick, which depends on the order
   * of the imports).
   */
  readonly engine?: string;
  /** The name the backend reports (default `tfjs`). */
  readonly name?: string;
}

/**
 * Makes a tfjs backend: loads and initialises its engine (importing the engine's package when it
 * is not registered yet), makes it tfjs's active engine and probes its kernels. Backends are made
 * one at a time: one asked for while another is starting (`setBackend('tfjs-wasm')` right after
 * the import started `tfjs`) waits for it.
 *
 * @example
 * registerBackend('tfjs-wasm', () => createTfjsBackend({ engine: 'wasm', name: 'tfjs-wasm' }));
 */
export function createTfjsBackend(options: TfjsBackendOptions = {}): Promise<TfjsBackend> {
  return exclusively(async () => {
    const fromEnv = options.engine === undefined && engineFromEnv() !== undefined;
    const engine = options.engine ?? defaultEngine();
    await loadEngine(engine, fromEnv);
    return new TfjsBackend(options.name ?? 'tfjs', engine, await probeEngine(engine));
  });
}

/**
 * The `tfjs` backend: illia-ts kernels as TensorFlow.js ops on one tfjs engine.
 *
 * Its tensors are tfjs tensors that no `tf.tidy` scope owns (they are `tf.keep`-ed: illia-ts's own
 * `tidy` and `dispose` free them), so a user's `tf.tidy` around illia-ts calls frees nothing of
 * ours; each kernel runs inside one `tf.tidy`, which frees its intermediates. tfjs has one active
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
  readonly readSync?: (x: BackendTensor) => TensorValues;
  /** The kernels of `kernels/index.ts`, on this backend's engine. */
  readonly kernels: KernelTable;
  /** The most elements a tensor may hold on the engine (see `maxElementsOf` in `engines.ts`). */
  readonly maxElements?: number;

  /** Use {@link createTfjsBackend}: the engine must be loaded and probed first. */
  constructor(name: string, engine: string, traits: EngineTraits) {
    this.name = name;
    this.engine = engine;
    this.traits = traits;
    this.epsilon = traits.epsilon;
    const maxElements = maxElementsOf(engine);
    if (maxElements !== undefined) this.maxElements = maxElements;
    if (traits.syncRead) {
      this.readSync = (x) => this.#own(asTf(x).dataSync() as TensorValues);
    }
    const env = kernelEnv(traits, hostMemoryEngine(engine));
    const table: Record<string, Kernel> = {};
    for (const [op, kernel] of Object.entries(KERNELS)) {
      table[op] = (inputs, attrs, output) =>
        this.#run(inputs, () => kernel(inputs.map(asTf), attrs, output, env));
    }
    this.kernels = Object.freeze(table);
  }

  /**
   * Runs a kernel on this backend's engine inside one `tf.tidy`; its results leave every tfjs scope
   * (see the class). A result that is one of the inputs (a no-op) is cloned: each handle core holds
   * must be freed on its own.
   */
  #run(
    inputs: readonly BackendTensor[],
    kernel: () => tf.Tensor | readonly tf.Tensor[],
  ): TfjsTensor | TfjsTensor[] {
    activate(this.engine);
    const result = tf.tidy(() => kernel() as tf.Tensor | tf.Tensor[]);
    const own = (t: tf.Tensor) =>
      tf.keep(inputs.includes(t as TfjsTensor) ? tf.clone(t) : t) as TfjsTensor;
    return Array.isArray(result) ? result.map(own) : own(result as tf.Tensor);
  }

  /** A read result the caller may keep and change. */
  #own(values: TensorValues): TensorValues {
    return this.traits.readAliases ? values.slice() : values;
  }

  makeTensor(values: TensorValues, shape: readonly number[]): TfjsTensor {
    const dtype: DType = values instanceof Int32Array ? 'int32' : 'float32';
    activate(this.engine);
    // tfjs may keep the array it is given: the copy is what makes later changes to `values` safe.
    return tf.keep(tf.tensor(values.slice(), [...shape], dtype)) as TfjsTensor;
  }

  async read(x: BackendTensor): Promise<TensorValues> {
    return this.#own((await asTf(x).data()) as TensorValues);
  }

  dispose(x: BackendTensor): void {
    asTf(x).dispose();
  }

  memory(): MemoryInfo {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  }
}
