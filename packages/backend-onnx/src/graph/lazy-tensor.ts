/**
 * The handle of the onnx backend: a node of a lazily recorded graph. A node is either
 * materialised (it holds its values), pending (it holds the op that computes it from other
 * nodes) or failed (its graph failed: it holds the error). Running a graph materialises its
 * outputs and lets go of their inputs, so memory held by the recorded graph is freed by the
 * garbage collector as soon as nothing needs it.
 */
import type { BackendTensor, DType, TensorValues } from '@illia-ts/core';
import type { GraphBuilder } from './graph-builder.js';

/** A scalar that a kernel takes as a graph input (a key word, a prior constant), so that graphs
 * that differ only in such values share one cached session. */
export interface ScalarParam {
  readonly type: 'float32' | 'uint32';
  readonly value: number;
}

/**
 * How a pending node computes its value: `emit` appends ONNX nodes to the graph, given the value
 * names of its tensor inputs and of its scalar params, and returns the name of its result (of the
 * node's shape and dtype).
 */
export interface LazyOp {
  /**
   * Identifies the computation for the session cache: equal signatures emit equal graphs for
   * equal input shapes and dtypes, so it names every attribute that changes the graph.
   */
  readonly signature: string;
  readonly emit: (
    g: GraphBuilder,
    inputs: readonly string[],
    params: readonly string[],
    shape: readonly number[],
  ) => string;
  /** Per-call scalars fed as graph inputs (not in the signature: every value shares a session). */
  readonly params?: readonly ScalarParam[];
  /**
   * Multiply-adds (or elements touched) of the op, where it is more than its largest tensor's
   * size (a matrix product, a convolution): a graph whose every node is small runs on one thread.
   */
  readonly work?: number;
  /**
   * The nodes it reads, where a kernel reads others than the op's inputs (a broadcasting op reads
   * what a pending broadcastTo repeats, not the repeated tensor). Default: the op's inputs.
   */
  readonly inputs?: readonly LazyTensor[];
}

/**
 * The set (union-find) of pending nodes joined through pending inputs: what a read computes
 * together. Joins happen when ops are recorded; a node recorded on materialised (or in-flight)
 * inputs starts a set of its own, so sets stay as small as the pending graph that links them.
 */
class Component {
  parent: Component | null = null;

  root(): Component {
    let root: Component = this;
    while (root.parent !== null) root = root.parent;
    // Path compression: later finds are O(1).
    let node: Component = this;
    while (node.parent !== null && node.parent !== root) {
      const next: Component = node.parent;
      node.parent = root;
      node = next;
    }
    return root;
  }
}

interface Pending {
  readonly op: LazyOp;
  readonly inputs: readonly LazyTensor[];
  readonly params: readonly ScalarParam[];
  /** Longest chain of pending nodes ending here (bounds graph growth, see OnnxBackend). */
  readonly depth: number;
}

export class LazyTensor implements BackendTensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  #values: TensorValues | null;
  #pending: Pending | null;
  #flushing = false;
  /** Why its graph failed (then it has neither values nor an op). */
  #failure: Error | null = null;
  /** Whether its values are a run's output array, which nothing else holds yet. */
  #fresh = false;
  /** Its set of linked pending nodes (see {@link Component}). */
  readonly #component: Component;
  /**
   * Left out of other reads' graphs: it was in a graph that failed while the read's own tensors
   * ran fine alone, so only a read of it (or of a tensor made from it) runs it again.
   */
  solo = false;
  /** Pending nodes that take this one as an input (its values must stay while they wait). */
  consumers = 0;
  /** Runs in flight fed from its values, and reads in progress (they need the values after). */
  inUse = 0;
  /** Whether its values went back to the buffer pool (the handle was disposed). */
  #recycled = false;
  /**
   * The plan that last named it (see planGraph) and the name it gave: fields, not a Map, as a
   * step's plan names about 650 nodes.
   */
  planMark = 0;
  planName = '';
  #typeKey: string | null = null;

  private constructor(
    shape: readonly number[],
    dtype: DType,
    values: TensorValues | null,
    pending: Pending | null,
  ) {
    this.shape = shape;
    this.dtype = dtype;
    this.size = shape.reduce((a, b) => a * b, 1);
    this.#values = values;
    this.#pending = pending;
    this.#component = new Component();
    // Linked to the sets of its pending inputs (not to those a run in flight computes: they are
    // inputs of later graphs, like materialised ones).
    for (const input of pending?.inputs ?? []) {
      if (input.#values === null && input.#pending !== null && !input.#flushing) {
        const a = this.#component.root();
        const b = input.#component.root();
        if (a !== b) a.parent = b;
      }
    }
  }

  /** A node that holds `values` (not copied); its dtype is the array's. */
  static materialized(values: TensorValues, shape: readonly number[]): LazyTensor {
    return new LazyTensor(shape, dtypeOf(values), values, null);
  }

  /** A node of `shape` and `dtype` computed by `op` from `inputs`. */
  static pending(
    op: LazyOp,
    inputs: readonly LazyTensor[],
    shape: readonly number[],
    dtype: DType,
  ): LazyTensor {
    let depth = 1;
    for (const input of inputs) {
      depth = Math.max(depth, input.depth + 1);
      input.consumers++;
    }
    return new LazyTensor(shape, dtype, null, { op, inputs, params: op.params ?? [], depth });
  }

  /** Its dtype and shape as the session key writes them, such as `float32[2,3]`. */
  get typeKey(): string {
    this.#typeKey ??= `${this.dtype}[${this.shape.join(',')}]`;
    return this.#typeKey;
  }

  /** The values, or `null` while pending. */
  get values(): TensorValues | null {
    return this.#values;
  }

  /** The op, inputs and params, or `null` once materialised. */
  get pendingOp(): Pending | null {
    return this.#pending;
  }

  /**
   * Pending nodes on the longest chain ending here: 0 once materialised, or once its
   * computation has started ({@link markFlushing}), so that chains recorded on top of it count
   * from there.
   */
  get depth(): number {
    return this.#flushing ? 0 : (this.#pending?.depth ?? 0);
  }

  /** Records that a run in flight will materialise this node (or, false, that it failed to). */
  markFlushing(flushing = true): void {
    this.#flushing = flushing;
  }

  /**
   * Its set of pending nodes linked through pending inputs (equal for nodes a read computes
   * together): an identity to compare, nothing more.
   */
  get group(): object {
    return this.#component.root();
  }

  /** Why its graph failed, or null. */
  get failure(): Error | null {
    return this.#failure;
  }

  /**
   * Records that its graph failed: it keeps `error` (later reads report it without running
   * anything) and drops its op; returns the op's inputs, whose buffers may now be free to reuse.
   */
  fail(error: Error): readonly LazyTensor[] {
    if (this.#values !== null || this.#failure !== null) return [];
    const inputs = this.#pending?.inputs ?? [];
    for (const input of inputs) input.consumers--;
    this.#pending = null;
    this.#failure = error;
    return inputs;
  }

  /**
   * Stores the computed values and drops the recorded op, releasing its inputs; returns those
   * inputs (none if it was already materialised), whose buffers may now be free to reuse.
   */
  materialize(values: TensorValues): readonly LazyTensor[] {
    if (this.#values !== null || this.#recycled || this.#failure !== null) return [];
    const inputs = this.#pending?.inputs ?? [];
    for (const input of inputs) input.consumers--;
    this.#values = values;
    this.#fresh = true;
    this.#pending = null;
    return inputs;
  }

  /** Whether its values are still the run's output array, never handed out. */
  get fresh(): boolean {
    return this.#fresh;
  }

  /** Swaps in another buffer holding the same values (a pooled copy). */
  replaceValues(values: TensorValues): void {
    this.#values = values;
    this.#fresh = false;
  }

  /**
   * Gives up the values of a disposed node that nothing needs any more (no pending consumer, no
   * run in flight), for reuse; the node is unusable afterwards. Returns null if they are still
   * needed or were never computed.
   */
  takeValues(): TensorValues | null {
    const values = this.#values;
    if (values === null || this.consumers > 0 || this.inUse > 0) return null;
    this.#values = null;
    this.#recycled = true;
    return values;
  }

  /** Whether its values were handed back for reuse (only a disposed handle's are). */
  get recycled(): boolean {
    return this.#recycled;
  }
}

/** The dtype of values of either kind. */
export function dtypeOf(values: TensorValues): DType {
  return values instanceof Int32Array ? 'int32' : 'float32';
}
