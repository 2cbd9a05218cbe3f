/**
 * Turns the pending nodes that some targets need into one graph: its structural key (what the
 * session cache is keyed by), its feeds (materialised nodes and scalar params, by value) and,
 * on a cache miss, the ONNX model itself.
 */
import type { TensorValues } from '@illia-ts/core';
import { RUNTIME } from '#ort';
import { DataType, encodeModel } from '../proto/onnx.js';
import { elemTypeOf, GraphBuilder, IR_VERSION, OPSET_VERSION } from './graph-builder.js';
import type { LazyTensor, ScalarParam } from './lazy-tensor.js';

/** One graph input and the values it is fed. */
export interface Feed {
  readonly name: string;
  readonly type: 'float32' | 'int32' | 'uint32';
  /** The values: a scalar param's, or the node's (read when the run starts: a node that another
   * run in flight computes has them only once that run has ended). */
  readonly data: () => TensorValues | Uint32Array;
  readonly dims: readonly number[];
}

export interface Plan {
  /** Equal keys mean equal models: the cache key of the session. */
  readonly key: string;
  readonly feeds: readonly Feed[];
  /** The nodes whose values are fed: materialised ones, and those that runs in flight compute
   * (`ready`); they must stay until the run ends. */
  readonly leaves: readonly LazyTensor[];
  /** The nodes the graph computes, in the order of its outputs `out0`, `out1`, … */
  readonly outputs: readonly LazyTensor[];
  /** Pending nodes the graph computes. */
  readonly nodes: number;
  /**
   * Whether some node's work reaches {@link THREADED_WORK}: only then does the graph's session
   * get intra-op threads (a smaller one would run every op on one thread anyway).
   */
  readonly threaded: boolean;
  /** The serialised model (built only when the cache misses). */
  model(): Uint8Array;
}

/**
 * The work (multiply-adds, or elements of the largest tensor) from which a node may run on several
 * threads. ONNX Runtime splits no smaller op: MLAS gives a matrix product one thread per 64 Ki
 * multiply-adds (MLAS_SGEMM_THREAD_COMPLEXITY), and elementwise loops of a few thousand elements
 * cost less than waking a thread. A graph whose nodes are all below it runs on one thread, with
 * the same numbers, and its session owns no thread pool.
 */
export const THREADED_WORK = 2 ** 16;

/** Plans made so far: each marks the nodes it names with its number. */
let plans = 0;

/** A graph input: a leaf's or a param's dtype and shape. */
interface Slot {
  readonly type: 'float32' | 'int32' | 'uint32';
  readonly dims: readonly number[];
}

/**
 * The identity of a one-element value (a scalar leaf's, a param's): equal ones are fed as one
 * graph input, so that ops on equal values are equal nodes (see GraphBuilder.op), as when a
 * backward pass draws a sample's key again. A coincidence between values that vary (Adam's bias
 * corrections) gives another key and session, never other numbers.
 */
function scalarKey(type: string, dims: readonly number[], value: number): string {
  return `${type}[${dims.join(',')}]${Object.is(value, -0) ? '-0' : value}`;
}

/**
 * Plans the graph that computes `targets` (pending nodes) and also outputs every pending node
 * on the way for which `keep` is true (live handles), so that running it materialises those too
 * and later graphs start from their values instead of recomputing them. Pending nodes for which
 * `ready` is true (computed by a run in flight) are inputs, like materialised ones. `portable`:
 * the kernels write GPU-accurate forms (see GraphBuilder.portable). Throws if an
 * input could not be computed (its graph failed).
 */
export function planGraph(
  targets: readonly LazyTensor[],
  keep: (t: LazyTensor) => boolean,
  ready: (t: LazyTensor) => boolean = () => false,
  portable = false,
): Plan {
  // This plan's names are on the nodes themselves, under this mark (see LazyTensor.planMark).
  const mark = ++plans;
  const order: LazyTensor[] = [];
  const named: LazyTensor[] = [];
  const namedAs: string[] = [];
  const slots: Slot[] = [];
  const parts: string[] = [];
  const feeds: Feed[] = [];
  const leaves: LazyTensor[] = [];
  const scalars = new Map<string, string>();
  /** The input names of each computed node's params, in the order of `order`. */
  const paramNames: string[][] = [];
  const name = (t: LazyTensor, as: string) => {
    t.planMark = mark;
    t.planName = as;
    named.push(t);
    namedAs.push(as);
  };

  let threaded = false;
  const leaf = (t: LazyTensor): string => {
    const failure = t.failure;
    if (failure !== null) {
      throw new Error(`onnx: an input of this tensor could not be computed: ${failure.message}`, {
        cause: failure,
      });
    }
    // Core refuses disposed tensors, so this is a bug here, not a user error: say so, not crash.
    if (t.pendingOp === null && t.values === null) throw disposedLeaf();
    leaves.push(t);
    const value = t.size === 1 && t.pendingOp === null ? t.values?.[0] : undefined;
    const key = value === undefined ? null : scalarKey(t.dtype, t.shape, value);
    const known = key === null ? undefined : scalars.get(key);
    if (known !== undefined) return known;
    const input = `in${slots.length}`;
    if (key !== null) scalars.set(key, input);
    slots.push({ type: t.dtype, dims: t.shape });
    const data = () => {
      const values = t.values;
      if (values === null) throw disposedLeaf();
      return values;
    };
    feeds.push({ name: input, type: t.dtype, data, dims: t.shape });
    parts.push(`${input}:${t.typeKey}`);
    return input;
  };
  const param = (p: ScalarParam): string => {
    const value = p.type === 'float32' ? Math.fround(p.value) : p.value >>> 0;
    const key = scalarKey(p.type, [], value);
    const known = scalars.get(key);
    if (known !== undefined) return known;
    const input = `in${slots.length}`;
    scalars.set(key, input);
    slots.push({ type: p.type, dims: [] });
    const data = () => (p.type === 'float32' ? Float32Array.of(value) : Uint32Array.of(value));
    feeds.push({ name: input, type: p.type, data, dims: [] });
    parts.push(`${input}:${p.type}`);
    return input;
  };

  // Iterative post-order: recorded chains can be long.
  const stack: LazyTensor[] = [];
  const expanded: boolean[] = [];
  for (const target of targets) {
    stack.push(target);
    expanded.push(false);
    while (stack.length > 0) {
      const t = stack.pop() as LazyTensor;
      const inputsPushed = expanded.pop() as boolean;
      if (t.planMark === mark) continue;
      const pending = t.pendingOp;
      if (pending === null || ready(t)) {
        name(t, leaf(t));
        continue;
      }
      if (!inputsPushed) {
        stack.push(t);
        expanded.push(true);
        for (let i = pending.inputs.length - 1; i >= 0; i--) {
          const input = pending.inputs[i] as LazyTensor;
          if (input.planMark !== mark) {
            stack.push(input);
            expanded.push(false);
          }
        }
        continue;
      }
      const params = pending.params.length === 0 ? [] : pending.params.map(param);
      paramNames.push(params);
      if (!threaded) {
        let work = pending.op.work ?? t.size;
        for (const input of pending.inputs) work = Math.max(work, input.size);
        threaded = work >= THREADED_WORK;
      }
      const ref = `n${order.length}`;
      let args = '';
      for (const input of pending.inputs) args += `${input.planName},`;
      parts.push(`${ref}=${pending.op.signature}(${args};${params.join(',')}):${t.typeKey}`);
      name(t, ref);
      order.push(t);
    }
  }

  const outputs = [...targets];
  const isTarget = new Set(targets);
  for (const t of order) if (!isTarget.has(t) && keep(t)) outputs.push(t);
  parts.push(`->${outputs.map((t) => t.planName).join(',')}`);

  return {
    key: parts.join(';'),
    feeds,
    leaves,
    outputs,
    nodes: order.length,
    threaded,
    model: () => {
      const index = new Map<LazyTensor, string>();
      named.forEach((t, i) => {
        index.set(t, namedAs[i] as string);
      });
      return buildModel(order, slots, index, paramNames, outputs, portable);
    },
  };
}

function disposedLeaf(): Error {
  return new Error(
    'onnx: a graph input has no values: a disposed tensor (its buffer was reused), or one whose own graph failed',
  );
}

function buildModel(
  order: readonly LazyTensor[],
  slots: readonly Slot[],
  index: ReadonlyMap<LazyTensor, string>,
  paramNames: readonly (readonly string[])[],
  outputs: readonly LazyTensor[],
  portable: boolean,
): Uint8Array {
  // onnxruntime-web's webgpu provider mishandles Max and Min (see GraphBuilder.minMaxAsWhere).
  const g = new GraphBuilder({
    portable,
    minMaxAsWhere: portable && RUNTIME === 'onnxruntime-web',
  });
  // Inputs are named in0, in1, … in the order of `slots`, as the plan named them.
  const inputNames = new Set<string>();
  for (const slot of slots) {
    const type =
      slot.type === 'float32'
        ? DataType.FLOAT
        : slot.type === 'int32'
          ? DataType.INT32
          : DataType.UINT32;
    inputNames.add(g.input(type, slot.dims));
  }
  // The plan's leaf names are input names; its computed nodes' refs become value names here.
  const names = new Map<LazyTensor, string>();
  const nameOf = (t: LazyTensor): string => names.get(t) ?? (index.get(t) as string);
  order.forEach((t, i) => {
    const pending = t.pendingOp;
    if (pending === null)
      throw new Error('onnx: a node was materialised while its graph was built');
    const inputs = pending.inputs.map(nameOf);
    names.set(t, pending.op.emit(g, inputs, paramNames[i] as string[], t.shape));
  });
  // Output names must be distinct and not graph inputs: an op may have passed a value through.
  const used = new Set<string>();
  const graphOutputs = outputs.map((t) => {
    let name = nameOf(t);
    if (inputNames.has(name) || used.has(name)) name = g.op('Identity', [name]);
    used.add(name);
    return { name, elemType: elemTypeOf(t.dtype), dims: t.shape };
  });
  return encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: 'illia-ts',
    graph: g.finish(graphOutputs),
  });
}
