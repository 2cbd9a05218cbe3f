import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendTensor,
  type KernelTable,
  type MemoryInfo,
  type TensorValues,
} from '@illia-ts/core';
import { hardwareThreads, ort, RUNTIME } from '#ort';
import { BufferPool } from './buffer-pool.js';
import { GraphBuilder, IR_VERSION, OPSET_VERSION } from './graph/graph-builder.js';
import { LazyTensor } from './graph/lazy-tensor.js';
import { type Plan, planGraph } from './graph/plan.js';
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
 * The most elements of one tensor. Every tensor crosses into ONNX Runtime and back as a
 * JavaScript typed array: onnxruntime-node 1.30 rejects a dimension above 2^32 − 1
 * (js/node/src/tensor_helper.cc: `dimDouble > 4294967295` is a RangeError), and Node 20's V8
 * makes typed arrays of at most 2^32 elements (`new Float32Array(2 ** 32 + 1)` throws "Invalid
 * typed array length"; checked on Node 20.20, where 2^32 allocates). ORT's cpu kernels index with int64, and the
 * graphs' own int32 constants (index guards, Range counts) go to int64 where a size could pass
 * int32. So 2^32 − 1, above core's default of 2^31 − 1.
 */
export const MAX_ELEMENTS = 2 ** 32 - 1;

/**
 * Pool threads that cached sessions may hold in all (ONNX Runtime's node binding has no global
 * thread pool: each session with intra-op threads owns `threads − 1` of them). At least
 * {@link MIN_THREADED_SESSIONS} threaded sessions are kept whatever their threads.
 */
const POOL_THREAD_BUDGET = 64;
const MIN_THREADED_SESSIONS = 4;

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
  readonly maxElements = MAX_ELEMENTS;
  /** The options in force, defaults applied. */
  readonly options: ResolvedOptions;
  readonly #live = new Set<LazyTensor>();
  /** Live handles not computed yet: a run computes those linked to its targets (see #run). */
  readonly #livePending = new Set<LazyTensor>();
  /** Nodes that runs in flight compute, and when those runs end. */
  readonly #inFlight = new Map<LazyTensor, Promise<void>>();
  /** Targets of reads started in this turn of the event loop: run as one graph (see #compute). */
  #batch: LazyTensor[] = [];
  #batchRun: Promise<void> | null = null;
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
    const threaded = sessionOptions(this.options);
    const single = sessionOptions(this.options, this.options.executionProviders, 1);
    const poolThreads = (this.options.intraOpNumThreads || hardwareThreads()) - 1;
    this.#cache = new SessionCache(
      {
        capacity: this.options.cacheSize,
        threadedCapacity:
          poolThreads <= 0
            ? this.options.cacheSize
            : Math.max(MIN_THREADED_SESSIONS, Math.floor(POOL_THREAD_BUDGET / poolThreads)),
      },
      (model, withThreads) => ort.InferenceSession.create(model, withThreads ? threaded : single),
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
      const message = `onnx: execution provider '${provider}' is unavailable on this machine (${failure}); ${providerHint(provider)}. Providers of this ${RUNTIME}: ${knownProviders().join(', ')}`;
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
      // Planned now (the loop may never yield); nothing awaits it: a failure is kept on the
      // tensor and reported when it (or one made from it) is read.
      void this.#run([t]);
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
      if (t.values === null) await this.#compute(t);
      const values = t.values as TensorValues;
      // A run's output array that nothing else holds can be the caller's copy if the tensor
      // keeps its values in a reused buffer instead, which saves allocating (and page-faulting
      // in) a second fresh one. Not while anything else uses it (a run it feeds, another read).
      if (t.fresh && t.inUse === 1) {
        const own = this.#pool.take(t.dtype, values.length);
        if (own !== undefined) {
          own.set(values);
          t.replaceValues(own);
          return values;
        }
      }
      return values.slice();
    } finally {
      t.inUse--;
      this.#recycle(t);
    }
  }

  /**
   * Computes `t`: waits for the run in flight that computes it, or adds it to this turn's batch
   * (reads started together share one run). Throws its graph's error if it failed.
   */
  async #compute(t: LazyTensor): Promise<void> {
    if (t.failure === null && !this.#inFlight.has(t)) {
      this.#batch.push(t);
      this.#batchRun ??= Promise.resolve().then(() => {
        const batch = this.#batch;
        this.#batch = [];
        this.#batchRun = null;
        return this.#run(batch);
      });
      await this.#batchRun;
    }
    // A run in flight computes it (a background flush, another read's, or one that runs it
    // again alone after a graph with others failed).
    for (let run = this.#inFlight.get(t); run !== undefined; run = this.#inFlight.get(t)) {
      await run;
    }
    if (t.values !== null) return;
    const failure = t.failure;
    if (failure !== null) throw new Error(failure.message, { cause: failure });
    throw new Error(
      `onnx: a tensor of shape [${t.shape.join(', ')}] was not computed: its values were released (disposed) before the read`,
    );
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
   * Computes `targets` (those not computed, failed or in flight yet) together with every live
   * handle still pending that is linked to them through pending nodes, in one graph, and stores
   * their values; resolves when they, and the runs in flight that compute the others, have
   * ended. Never rejects: a failure is kept on the tensors it concerns.
   *
   * Only what is linked goes in, so a read of a small tensor does not compute 1,000 unrelated
   * pending ones (with 1,000 unread draws alive, reading a 3-element tensor took 15–30 s, nearly
   * all of it ONNX Runtime making a session for a 35,000-node graph). What is linked must go in:
   * a training step reads the loss, while the new parameters and optimizer state (assigned from
   * lazy results, which the loss does not need) are pending and linked to it through the
   * gradients. Left pending, they would be computed inside the next read's graph as internal
   * nodes, never stored (their handles are disposed by the next assign), so every read would
   * recompute the whole history from the first values. Run together, one graph per step computes
   * forward, backward and update once, and the next step starts from stored values: the graph's
   * structure repeats and its session is cached.
   *
   * If the graph fails, each target runs alone (so that a bad tensor linked to it does not fail
   * it), the others that were linked are left out of later reads' graphs (`solo`: run only when
   * read), and a target that fails alone keeps the error: it is reported by every read of it, or
   * of a tensor made from it, without running anything again.
   */
  async #run(targets: readonly LazyTensor[]): Promise<void> {
    const waits: Promise<void>[] = [];
    const todo: LazyTensor[] = [];
    for (const t of new Set(targets)) {
      if (t.values !== null || t.recycled || t.failure !== null) continue;
      const running = this.#inFlight.get(t);
      if (running !== undefined) waits.push(running);
      else todo.push(t);
    }
    if (todo.length > 0) waits.push(this.#runLinked(todo));
    await Promise.all(waits);
  }

  async #runLinked(todo: readonly LazyTensor[]): Promise<void> {
    const wanted = new Set(todo);
    const groups = new Set(todo.map((t) => t.group));
    const linked: LazyTensor[] = [];
    for (const t of this.#livePending) {
      if (wanted.has(t) || t.values !== null || t.solo || t.failure !== null) continue;
      if (this.#inFlight.has(t) || !groups.has(t.group)) continue;
      linked.push(t);
    }
    const alone = todo.length === 1 && linked.length === 0;
    const retries: Promise<boolean>[] = [];
    await this.#runGraph([...todo, ...linked], (error) => {
      if (alone) {
        this.#fail(todo, error);
        return;
      }
      // Each target alone, so that one bad tensor does not fail the others; the linked ones
      // run only when they are read. Planned now, so that reads waiting on this run wait on these.
      for (const t of linked) t.solo = true;
      for (const t of todo) retries.push(this.#runGraph([t], (e) => this.#fail([t], e)));
    });
    await Promise.all(retries);
  }

  /** Keeps `error` on `targets`: their reads report it from now on. */
  #fail(targets: readonly LazyTensor[], error: Error): void {
    for (const t of targets) {
      for (const input of t.fail(error)) this.#recycle(input);
      this.#livePending.delete(t);
    }
  }

  /**
   * Runs the graph of `targets` and stores their values (and those of live nodes on the way).
   * If it cannot be planned or run, `onFailure` gets the error before anything that waits on the
   * run goes on, and the nodes stay pending. Resolves to whether it ran.
   */
  async #runGraph(
    targets: readonly LazyTensor[],
    onFailure: (error: Error) => void,
  ): Promise<boolean> {
    let plan: Plan;
    try {
      plan = planGraph(
        targets,
        (t) => this.#live.has(t),
        (t) => this.#inFlight.has(t),
        this.options.executionProviders.some((p) => p !== 'cpu'),
      );
    } catch (error) {
      onFailure(error as Error);
      return false;
    }
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
    let outputs: ort.Tensor[] | undefined;
    let failure: Error | undefined;
    try {
      // On a miss the model is built now, before anything else can materialise its nodes.
      outputs = await this.#cache.with(plan.key, plan.threaded, plan.model, async (session) => {
        await Promise.all(before);
        const feeds: Record<string, ort.Tensor> = {};
        for (const f of plan.feeds) {
          feeds[f.name] = new ort.Tensor(f.type, f.data(), f.dims);
        }
        const results = await session.run(feeds);
        return session.outputNames.map((name) => results[name] as ort.Tensor);
      });
    } catch (error) {
      failure = new Error(
        `onnx: running the graph of a tensor of shape [${targets[0]?.shape.join(', ')}] on ${this.options.executionProviders.join(', ')} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    for (const leaf of plan.leaves) {
      leaf.inUse--;
      this.#recycle(leaf);
    }
    for (const t of plan.outputs) if (this.#inFlight.get(t) === end) this.#inFlight.delete(t);
    // Stored (or the failure handled) synchronously, before the runs and reads that wait on
    // `end` go on.
    if (outputs === undefined) {
      for (const t of plan.outputs) t.markFlushing(false);
      onFailure(failure as Error);
    } else {
      // ORT gives a Float32Array for a float output and an Int32Array for an int32 one.
      plan.outputs.forEach((t, i) => {
        for (const input of t.materialize(outputs[i]?.data as TensorValues)) this.#recycle(input);
        this.#livePending.delete(t);
        // A background flush may compute a node whose handle was disposed meanwhile.
        this.#recycle(t);
      });
    }
    ended();
    return outputs !== undefined;
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
