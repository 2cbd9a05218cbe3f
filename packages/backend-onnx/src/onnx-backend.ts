import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendTensor,
  type KernelTable,
  type MemoryInfo,
  type TensorValues,
} from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import { BufferPool } from './buffer-pool.js';
import { GraphBuilder, IR_VERSION, OPSET_VERSION } from './graph/graph-builder.js';
import { LazyTensor } from './graph/lazy-tensor.js';
import { planGraph } from './graph/plan.js';
import { kernelTable } from './kernels/index.js';
import {
  type ExecutionProvider,
  knownProviders,
  type OnnxBackendOptions,
  providerHint,
  type ResolvedOptions,
  resolveOptions,
  sessionOptions,
} from './options.js';
import { DataType, encodeModel } from './proto/onnx.js';
import { SessionCache, type SessionCacheStats } from './session-cache.js';

/**
 * A chain of this many recorded ops is computed in the background (and its result kept), so that
 * a program that records ops for long without reading them (a training loop) keeps its graphs,
 * and the memory they hold, bounded.
 */
const FLUSH_DEPTH = 256;

/** The most memory that buffers of disposed tensors keep for reuse (see BufferPool). */
const POOL_BYTES = 256 * 2 ** 20;

/**
 * The `onnx` backend: every kernel records its op into a graph, and reading a tensor runs what it
 * needs as one ONNX graph in one ONNX Runtime `InferenceSession`, cached by the graph's structure.
 * Reads are asynchronous only: onnxruntime-node has no synchronous run, so `dataSync()` is
 * unavailable (core's error points to `data()`).
 *
 * Make one with {@link OnnxBackend.create} to check its execution providers up front, or with
 * `new OnnxBackend()` for cpu.
 */
export class OnnxBackend implements Backend {
  readonly apiVersion = BACKEND_API_VERSION;
  readonly name: string;
  readonly epsilon = 2 ** -24;
  /** The options in force, defaults applied. */
  readonly options: ResolvedOptions;
  readonly #live = new Set<LazyTensor>();
  /** Live handles not computed yet: every run computes them all (see {@link #run}). */
  readonly #livePending = new Set<LazyTensor>();
  /** Nodes that runs in flight compute, and when those runs end. */
  readonly #inFlight = new Map<LazyTensor, Promise<void>>();
  #runs = 0;
  #lastNodes = 0;
  #lastOutputs = 0;
  #numBytes = 0;
  readonly #cache: SessionCache;
  readonly #pool = new BufferPool(POOL_BYTES);
  /** The kernels (src/kernels/index.ts), each recording a pending node here. */
  readonly kernels: KernelTable = kernelTable((op, inputs, output) =>
    this.#record(LazyTensor.pending(op, inputs, output.shape, output.dtype)),
  );

  constructor(options: OnnxBackendOptions = {}) {
    this.options = resolveOptions(options);
    this.name = this.options.name;
    const created = sessionOptions(this.options);
    this.#cache = new SessionCache(this.options.cacheSize, (model) =>
      ort.InferenceSession.create(model, created),
    );
  }

  /**
   * A backend whose execution providers are known to start: each requested provider other than
   * cpu is tried on a one-op graph first. One that cannot start rejects with an error that names
   * it and says what it needs, or, with `onUnavailableProvider: 'warn'`, is left out with a
   * warning.
   */
  static async create(options: OnnxBackendOptions = {}): Promise<OnnxBackend> {
    const resolved = resolveOptions(options);
    const usable: ExecutionProvider[] = [];
    for (const provider of resolved.executionProviders) {
      const failure = provider === 'cpu' ? null : await probe(resolved, provider);
      if (failure === null) {
        usable.push(provider);
        continue;
      }
      const message = `onnx: execution provider '${provider}' is unavailable on this machine (${failure}); ${providerHint(provider)}. Providers of this onnxruntime-node: ${knownProviders().join(', ')}`;
      if (resolved.onUnavailableProvider === 'error') throw new Error(message);
      console.warn(`${message}. Going on without it.`);
    }
    if (usable.length === 0) usable.push('cpu');
    return new OnnxBackend({ ...resolved, executionProviders: usable });
  }

  #record(t: LazyTensor): LazyTensor {
    this.#live.add(t);
    if (t.values === null) this.#livePending.add(t);
    this.#numBytes += t.size * 4;
    if (t.depth >= FLUSH_DEPTH) {
      t.markFlushing();
      // Nothing awaits this: a failure surfaces when the tensor (or one made from it) is read.
      this.#materialize([t]).catch(() => undefined);
    }
    return t;
  }

  makeTensor(values: TensorValues, shape: readonly number[]): LazyTensor {
    if (!(values instanceof Float32Array || values instanceof Int32Array)) {
      throw new TypeError(
        `onnx.makeTensor: values must be a Float32Array or an Int32Array, got ${Object.prototype.toString.call(values)}`,
      );
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      throw new RangeError(
        `onnx.makeTensor: shape [${shape.join(', ')}] needs ${size} values, got ${values.length}`,
      );
    }
    return this.#record(LazyTensor.materialized(values.slice(), [...shape]));
  }

  async read(x: BackendTensor): Promise<TensorValues> {
    const t = x as LazyTensor;
    // Pinned while it reads: the handle may be disposed before the read ends (two reads of one
    // handle, the first then disposing it), and its buffer must not be reused meanwhile.
    t.inUse++;
    try {
      if (t.values === null) {
        const [fresh] = await this.#materialize([t]);
        // The run's output is a fresh array that nothing else holds: it can be the caller's
        // copy if the tensor keeps the values in a reused buffer instead, which saves allocating
        // (and page-faulting in) a second fresh one. Not while anything else uses it.
        // (Read again after the await: another read may have materialised it first.)
        const stored = t.values as TensorValues | null;
        if (fresh !== undefined && stored === fresh && t.inUse === 1) {
          const own = this.#pool.take(t.dtype, fresh.length);
          if (own !== undefined) {
            own.set(fresh);
            t.replaceValues(own);
            return fresh;
          }
        }
      }
      return (t.values as TensorValues).slice();
    } finally {
      t.inUse--;
      this.#recycle(t);
    }
  }

  dispose(x: BackendTensor): void {
    const t = x as LazyTensor;
    // The node itself stays while pending ops use it; only the caller's handle goes.
    if (this.#live.delete(t)) {
      this.#livePending.delete(t);
      this.#numBytes -= t.size * 4;
      this.#recycle(t);
    }
  }

  /** Pools the buffer of `t` if its handle is disposed and nothing needs its values any more. */
  #recycle(t: LazyTensor): void {
    if (this.#live.has(t)) return;
    const values = t.takeValues();
    if (values !== null) this.#pool.give(values);
  }

  memory(): MemoryInfo {
    return { numTensors: this.#live.size, numBytes: this.#numBytes };
  }

  /** Sessions cached, cache hits and misses (for tests and benchmarks). */
  cacheStats(): SessionCacheStats {
    return this.#cache.stats();
  }

  /**
   * Graph runs so far, and the pending nodes and outputs of the last one (for tests and
   * benchmarks: a training loop's graphs must not grow from step to step).
   */
  graphStats(): GraphStats {
    return { runs: this.#runs, lastNodes: this.#lastNodes, lastOutputs: this.#lastOutputs };
  }

  /** Releases every cached session and pooled buffer; the backend stays usable. */
  releaseSessions(): void {
    this.#cache.clear();
    this.#pool.clear();
  }

  /** Bytes of disposed tensors' buffers kept for reuse (not counted by {@link memory}). */
  pooledBytes(): number {
    return this.#pool.bytes;
  }

  /**
   * Computes `targets` and stores their values; returns the run's output arrays, the targets'
   * first (none if runs in flight compute them all: it waits for those). The graph is planned at
   * once (a background flush takes the chain as it is when called); nodes that runs in flight
   * compute are its inputs, fed when those runs end, so nothing is computed twice.
   */
  #materialize(targets: readonly LazyTensor[]): Promise<TensorValues[]> {
    const wanted = targets.filter((t) => t.values === null && !t.recycled);
    const todo = wanted.filter((t) => !this.#inFlight.has(t));
    if (todo.length === 0) {
      return Promise.all(wanted.map((t) => this.#inFlight.get(t))).then(() => {
        if (wanted.some((t) => t.values === null)) {
          throw new Error(
            `onnx: the graph that computes a tensor of shape [${wanted[0]?.shape.join(', ')}] failed (see the error of the read that ran it)`,
          );
        }
        return [];
      });
    }
    return this.#run(todo);
  }

  /**
   * Runs one graph that computes `targets` and every other live handle still pending (and live
   * nodes on the way), and stores their values.
   *
   * Computing every pending live handle is what keeps a training loop's graphs from growing: its
   * step reads the loss, while the new parameters and optimizer state (assigned from lazy results,
   * which the loss does not need) are still pending. Left pending, they would be computed inside
   * the next read's graph as internal nodes, never stored (their handles are disposed by the
   * next assign), so every read would recompute the whole history from the first values. Run
   * together, one graph per step computes forward, backward and update once, and the next step
   * starts from stored values: the graph's structure repeats and its session is cached.
   */
  async #run(wanted: readonly LazyTensor[]): Promise<TensorValues[]> {
    const roots = [...wanted];
    const isWanted = new Set(wanted);
    for (const t of this.#livePending) {
      if (t.values === null && !isWanted.has(t) && !this.#inFlight.has(t)) roots.push(t);
    }
    if (roots.length === wanted.length) return this.#runGraph(wanted);
    try {
      return await this.#runGraph(roots);
    } catch (error) {
      // Another pending handle may be what fails: the targets alone may still run.
      try {
        return await this.#runGraph(wanted);
      } catch {
        throw error;
      }
    }
  }

  /**
   * Runs the graph of `targets` and stores their values (and those of live nodes on the way);
   * returns the run's output arrays, the targets' first.
   */
  async #runGraph(targets: readonly LazyTensor[]): Promise<TensorValues[]> {
    const plan = planGraph(
      targets,
      (t) => this.#live.has(t),
      (t) => this.#inFlight.has(t),
    );
    this.#runs++;
    this.#lastNodes = plan.nodes;
    this.#lastOutputs = plan.outputs.length;
    // Inputs that runs in flight compute: fed when those runs end.
    const before: Promise<void>[] = [];
    for (const leaf of plan.leaves) {
      const running = this.#inFlight.get(leaf);
      if (running !== undefined) before.push(running);
    }
    let ended = () => {};
    const end = new Promise<void>((resolve) => {
      ended = resolve;
    });
    for (const t of plan.outputs) {
      this.#inFlight.set(t, end);
      // Chains recorded on top of it count their depth from here.
      t.markFlushing();
    }
    // Pinned from now: the feeds hold their arrays, which must not be pooled and reused before
    // the run has read them.
    for (const leaf of plan.leaves) leaf.inUse++;
    let outputs: ort.Tensor[];
    try {
      // On a miss the model is built now, before anything else can materialise its nodes.
      outputs = await this.#cache.with(plan.key, plan.model, async (session) => {
        await Promise.all(before);
        const feeds: Record<string, ort.Tensor> = {};
        for (const f of plan.feeds) {
          feeds[f.name] = new ort.Tensor(f.type, f.data(), f.dims);
        }
        const results = await session.run(feeds);
        return session.outputNames.map((name) => results[name] as ort.Tensor);
      });
    } catch (error) {
      throw new Error(
        `onnx: running the graph of a tensor of shape [${targets[0]?.shape.join(', ')}] on ${this.options.executionProviders.join(', ')} failed: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      for (const leaf of plan.leaves) {
        leaf.inUse--;
        this.#recycle(leaf);
      }
      // Stored (below) before the runs that wait for them go on; on failure they go on and fail.
      for (const t of plan.outputs) if (this.#inFlight.get(t) === end) this.#inFlight.delete(t);
      ended();
    }
    // Synchronously after the run: nothing that waits on `end` resumes before this.
    // ORT gives a Float32Array for a float output and an Int32Array for an int32 one.
    const arrays = outputs.map((o) => o.data as TensorValues);
    plan.outputs.forEach((t, i) => {
      for (const input of t.materialize(arrays[i] as TensorValues)) this.#recycle(input);
      this.#livePending.delete(t);
      // A background flush may compute a node whose handle was disposed meanwhile.
      this.#recycle(t);
    });
    return arrays;
  }
}

/** What {@link OnnxBackend.graphStats} reports. */
export interface GraphStats {
  /** Graphs run so far. */
  readonly runs: number;
  /** Pending nodes (recorded ops) that the last graph computed. */
  readonly lastNodes: number;
  /** Nodes whose values the last graph stored. */
  readonly lastOutputs: number;
}

/** Tries `provider` on a one-op graph; returns why it failed, or null. */
async function probe(
  options: ResolvedOptions,
  provider: ExecutionProvider,
): Promise<string | null> {
  const g = new GraphBuilder();
  const x = g.input(DataType.FLOAT, [2]);
  const y = g.op('Exp', [x]);
  const model = encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: 'illia-ts',
    graph: g.finish([{ name: y, elemType: DataType.FLOAT, dims: [2] }]),
  });
  try {
    const session = await ort.InferenceSession.create(model, {
      ...sessionOptions(options, [provider]),
      logSeverityLevel: 4,
    });
    await session.run({ [x]: new ort.Tensor('float32', Float32Array.of(0, 1), [2]) });
    await session.release();
    return null;
  } catch (error) {
    return (error as Error).message.split('\n')[0] ?? String(error);
  }
}
