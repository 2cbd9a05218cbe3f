/**
 * `exportOnnx`: a trained illia-ts model as a standalone ONNX model, with the weight sampling
 * inside the graph, that any ONNX Runtime (Node, Web, Python, C++, mobile) runs without illia-ts.
 */
import {
  type AnyTensor,
  AvgPool1d,
  AvgPool2d,
  Conv1d,
  Conv2d,
  Embedding,
  Flatten,
  type GaussianDistribution,
  Linear,
  LSTM,
  MaxPool1d,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
  Sigmoid,
  Tanh,
} from '@illia-ts/core';
import {
  type AttributeProto,
  constantTensor,
  DataType,
  encodeModel,
  type NodeProto,
  type TensorProto,
} from './proto/onnx.js';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /**
   * The shape of the graph input `input`, batch first, such as `['batch', 4]` or
   * `[32, 1, 28, 28]`: each dimension a positive integer (fixed) or, for the batch only (the
   * first), a non-empty string: a symbolic size that each run gives. The input is float32, or
   * int32 token indices when the model starts with an `Embedding` or an `LSTM` (whose steps, the
   * second dimension, must then be fixed).
   */
  inputShape: readonly (number | string)[];
  /**
   * `'mean'` (default): every weight at its mean; output `std` is all zeros. `'sample'`: the graph
   * draws `samples` weight sets at every run (fresh draws each run) and outputs the predictive
   * mean and standard deviation over them.
   */
  mode?: 'mean' | 'sample';
  /** Weight sets drawn per run in `'sample'` mode, a positive integer. Default 16. */
  samples?: number;
  /** `'softmax'`: class probabilities (softmax over the last axis) per sample, before averaging. */
  activation?: 'softmax';
}

/** The model's opset: ONNX Runtime ≥ 1.17 and every current ONNX runtime run it. */
const OPSET_VERSION = 21;
const IR_VERSION = 10;

const where = 'exportOnnx';
const SUPPORTED =
  'Linear, Conv1d, Conv2d, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, Flatten, ReLU, Tanh, Sigmoid, Embedding and LSTM (first), Sequential';

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return String(value);
}

/** A module's kind, for messages: `a Conv1d`, `a plain object`. */
function kindOf(module: object): string {
  const name = module.constructor?.name;
  if (!name) return 'a module of no class';
  if (name === 'Object') return 'a plain object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

/** `softplus(rho)` in float64 (then float32, as the weights are). */
function softplus(rho: number): number {
  return rho > 0 ? rho + Math.log1p(Math.exp(-rho)) : Math.log1p(Math.exp(rho));
}

type Shape = readonly (number | string)[];
const formatDims = (shape: Shape) => `[${shape.map(describeValue).join(', ')}]`;
const dim = (shape: Shape, i: number) => shape[i] as number;

/** A layer of the model, by its state-dict path, with its input and output shapes. */
type Layer = { readonly path: string; readonly input: Shape; readonly output: Shape } & (
  | { readonly kind: 'linear'; readonly layer: Linear }
  | { readonly kind: 'embedding'; readonly layer: Embedding }
  | { readonly kind: 'lstm'; readonly layer: LSTM }
  | ({ readonly kind: 'conv'; readonly layer: Conv1d | Conv2d } & Window)
  | { readonly kind: 'Relu' | 'Tanh' | 'Sigmoid' }
  | ({ readonly kind: 'MaxPool' | 'AveragePool' } & Window)
  | { readonly kind: 'flatten'; readonly start: number; readonly end: number }
);

/** A convolution's or a pool's window, per spatial axis (1 or 2 of them). */
interface Window {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
}

const listOf = (v: number | readonly number[]): readonly number[] =>
  typeof v === 'number' ? [v] : v;

/** Output size of a window along one axis (floor mode, as core). */
const outSize = (size: number, k: number, stride: number, pad: number, dilation: number) =>
  Math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;

/**
 * The model's layers in order (nested Sequentials flattened), each checked against the shape it
 * gets; unsupported modules throw, naming their kind and path.
 */
function flatten(module: unknown, path: string, input: Shape, root: Shape, out: Layer[]): Shape {
  const at = path === '' ? 'the model' : `the module at ${JSON.stringify(path)}`;
  const fail = (needs: string) =>
    new RangeError(
      `${where}: ${at} (${(module as object).constructor.name}) takes ${needs}, got ${formatDims(input)}${input === root ? ' (inputShape)' : ''}`,
    );
  if (module instanceof Sequential) {
    let shape = input;
    module.modules.forEach((m, i) => {
      shape = flatten(m, path === '' ? String(i) : `${path}.${i}`, shape, root, out);
    });
    return shape;
  }
  let output: Shape = input;
  const first = out.length === 0 && input === root;
  if (module instanceof Embedding || module instanceof LSTM) {
    const kind = module instanceof Embedding ? 'embedding' : 'lstm';
    if (!first) {
      throw new TypeError(
        `${where}: ${at} (${module.constructor.name}) takes int32 tokens, so it must be the model's first layer`,
      );
    }
    if (kind === 'embedding') {
      output = [...input, (module as Embedding).embeddingsDim];
      out.push({ kind, layer: module as Embedding, path, input, output });
    } else {
      const lstm = module as LSTM;
      if (!(input.length === 2 || (input.length === 3 && input[2] === 1))) {
        throw fail('[batch, steps] or [batch, steps, 1] tokens');
      }
      output = [input[0] as number | string, lstm.outputSize];
      out.push({ kind, layer: lstm, path, input, output });
    }
  } else if (module instanceof Linear) {
    if (input.length !== 2 || input[1] !== module.inputSize) {
      throw fail(`[batch, ${module.inputSize}]`);
    }
    output = [input[0] as number | string, module.outputSize];
    out.push({ kind: 'linear', layer: module, path, input, output });
  } else if (
    module instanceof Conv1d ||
    module instanceof Conv2d ||
    module instanceof MaxPool1d ||
    module instanceof MaxPool2d ||
    module instanceof AvgPool1d ||
    module instanceof AvgPool2d
  ) {
    const conv = module instanceof Conv1d || module instanceof Conv2d;
    const window: Window = {
      kernel: listOf(module.kernelSize),
      stride: listOf(module.stride),
      padding: listOf(module.padding),
      dilation: conv ? listOf(module.dilation) : listOf(module.kernelSize).map(() => 1),
    };
    const rank = window.kernel.length;
    const c = conv ? module.inputChannels : undefined;
    const axes = rank === 1 ? 'length' : 'height, width';
    const needs = `[batch, ${c ?? 'channels'}, ${axes}] with ${rank === 1 ? 'a length' : 'sizes'} at least the ${conv ? "kernel's span" : 'window'}`;
    if (input.length !== rank + 2 || (c !== undefined && input[1] !== c)) throw fail(needs);
    const sizes = window.kernel.map((k, d) =>
      outSize(
        dim(input, d + 2),
        k,
        window.stride[d] as number,
        window.padding[d] as number,
        window.dilation[d] as number,
      ),
    );
    if (!sizes.every((n) => n >= 1)) throw fail(needs);
    if (module instanceof Conv1d || module instanceof Conv2d) {
      output = [input[0] as number | string, module.outputChannels, ...sizes];
      out.push({ kind: 'conv', layer: module, ...window, path, input, output });
    } else {
      output = [input[0] as number | string, dim(input, 1), ...sizes];
      const max = module instanceof MaxPool1d || module instanceof MaxPool2d;
      out.push({ kind: max ? 'MaxPool' : 'AveragePool', ...window, path, input, output });
    }
  } else if (module instanceof Flatten) {
    const rank = input.length;
    const start = module.startDim < 0 ? rank + module.startDim : module.startDim;
    const end = module.endDim < 0 ? rank + module.endDim : module.endDim;
    if (!(start >= 1 && end < rank && start <= end)) {
      throw fail(
        `axes startDim ${module.startDim} to endDim ${module.endDim}, after the batch axis`,
      );
    }
    const merged = input.slice(start, end + 1).reduce<number>((p, q) => p * (q as number), 1);
    output = [...input.slice(0, start), merged, ...input.slice(end + 1)];
    out.push({ kind: 'flatten', start, end, path, input, output });
  } else if (module instanceof ReLU) out.push({ kind: 'Relu', path, input, output });
  else if (module instanceof Tanh) out.push({ kind: 'Tanh', path, input, output });
  else if (module instanceof Sigmoid) out.push({ kind: 'Sigmoid', path, input, output });
  else if (module === null || typeof module !== 'object' || !('forward' in module)) {
    throw new TypeError(`${where}: ${at} must be a module, got ${describeValue(module)}`);
  } else {
    throw new TypeError(
      `${where}: ${at} is ${kindOf(module)}, which ONNX export does not support yet (supported: ${SUPPORTED})`,
    );
  }
  return output;
}

/** A distribution's means and sigmas (`softplus(rho)`, computed here), read from its backend. */
interface HostGaussian {
  readonly mu: Float32Array;
  readonly sigma: Float32Array;
}

async function readGaussian(d: GaussianDistribution): Promise<HostGaussian> {
  const [mu, rho] = await Promise.all([d.mu.data(), d.rho.data()]);
  return { mu: Float32Array.from(mu), sigma: Float32Array.from(rho, softplus) };
}

/** An LSTM's gate weights `[4·hidden, inputs + hidden]` and biases, gates in its order f, i, o, c. */
const GATE_ORDER = ['f', 'i', 'o', 'c'] as const;

/** The distributions a layer draws, by name, in the order the graph uses them. */
function distributionsOf(l: Layer): Record<string, GaussianDistribution> {
  switch (l.kind) {
    case 'linear':
    case 'conv': {
      const { weights, bias } = l.layer;
      return bias ? { weights, bias } : { weights };
    }
    case 'embedding':
      return { weights: l.layer.weights };
    case 'lstm': {
      const m = l.layer;
      const out: Record<string, GaussianDistribution> = { embedding: m.embedding.weights };
      for (const name of ['wf', 'bf', 'wi', 'bi', 'wc', 'bc', 'wo', 'bo', 'wv', 'bv'] as const) {
        out[name] = m[name];
      }
      return out;
    }
    default:
      return {};
  }
}

/** The rows of several `[rows_k, cols]` matrices, one under the other. */
function stackRows(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `[out, in]` → `[in, out]`. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) t[c * rows + r] = values[r * cols + c] as number;
  return t;
}

function checkOptions(options: ExportOnnxOptions): {
  inputShape: (number | string)[];
  mode: 'mean' | 'sample';
  samples: number;
  activation: 'softmax' | undefined;
} {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      `${where}: options must be an object with inputShape, got ${describeValue(options)}`,
    );
  }
  const { inputShape, mode = 'mean', samples = 16, activation } = options;
  if (!Array.isArray(inputShape) || inputShape.length === 0) {
    throw new TypeError(
      `${where}: inputShape must be a non-empty array of sizes (such as ['batch', 4]), got ${describeValue(inputShape)}`,
    );
  }
  inputShape.forEach((d, i) => {
    const symbolic = typeof d === 'string' && d.length > 0;
    const fixed = typeof d === 'number' && Number.isSafeInteger(d) && d > 0;
    if (!(fixed || (symbolic && i === 0))) {
      throw new (typeof d === 'number' ? RangeError : TypeError)(
        `${where}: inputShape[${i}] must be a positive integer${i === 0 ? ' or a non-empty string (a symbolic batch size)' : ''}, got ${describeValue(d)}`,
      );
    }
  });
  if (mode !== 'mean' && mode !== 'sample') {
    throw new RangeError(`${where}: mode must be 'mean' or 'sample', got ${describeValue(mode)}`);
  }
  if (!(typeof samples === 'number' && Number.isSafeInteger(samples) && samples > 0)) {
    throw new (typeof samples === 'number' ? RangeError : TypeError)(
      `${where}: samples must be a positive integer, got ${describeValue(samples)}`,
    );
  }
  if (activation !== undefined && activation !== 'softmax') {
    throw new RangeError(
      `${where}: activation must be 'softmax' or undefined, got ${describeValue(activation)}`,
    );
  }
  return { inputShape: [...inputShape], mode, samples, activation };
}

/** Nodes and initializers of the graph being written. */
class Graph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  #next = 0;

  /** Appends a node; its output is `output` or a fresh name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: readonly AttributeProto[] = [],
    output = `t${this.#next++}`,
  ): string {
    this.nodes.push({ opType, inputs, outputs: [output], attributes, name: output });
    return output;
  }

  /** A float32 constant, named after the layer it belongs to. */
  floats(name: string, dims: readonly number[], values: Float32Array): string {
    this.initializers.push(constantTensor(name, DataType.FLOAT, dims, values));
    return name;
  }

  /** An int64 vector constant (shapes, axes), one per distinct value. */
  int64s(values: readonly number[]): string {
    const name = `i64_${values.join('_').replaceAll('-', 'm')}`;
    if (!this.initializers.some((t) => t.name === name)) {
      this.initializers.push(
        constantTensor(name, DataType.INT64, [values.length], BigInt64Array.from(values, BigInt)),
      );
    }
    return name;
  }

  /** An int64 scalar constant (an index), one per distinct value. */
  int64Scalar(value: number): string {
    const name = `i64_scalar_${value}`;
    if (!this.initializers.some((t) => t.name === name)) {
      this.initializers.push(
        constantTensor(name, DataType.INT64, [], BigInt64Array.of(BigInt(value))),
      );
    }
    return name;
  }

  /** `mu + sigma ⊙ N(0, 1)` of shape `shape` (drawn at every run; `mu`, `sigma` broadcast). */
  sample(mu: string, sigma: string, shape: readonly number[]): string {
    const eps = this.op('RandomNormal', [], [{ name: 'shape', type: 'ints', value: shape }]);
    return this.op('Add', [mu, this.op('Mul', [sigma, eps])]);
  }
}

const ints = (name: string, value: readonly number[]): AttributeProto => ({
  name,
  type: 'ints',
  value,
});
const int = (name: string, value: number): AttributeProto => ({ name, type: 'int', value });

/**
 * How the running value holds the samples: `plain` has none (`[batch, …]`, before the first
 * Bayesian layer, or in mean mode), `sampled` leads with them (`[samples, batch, …]`), `folded`
 * keeps them in the channels (`[batch, samples·channels, h, w]`, sample-major) so that one grouped
 * Conv runs every sample's kernels and the pools work per channel as they are.
 */
type Layout = 'plain' | 'sampled' | 'folded';

/**
 * A standalone ONNX model (opset 21) of `module`: one float32 input `input` of `inputShape`
 * (batch first; the batch may be a symbolic name, such as `'batch'`, or a fixed size) and two
 * float32 outputs `mean` and `std` of the model's output shape. `mode: 'mean'` uses each weight's
 * mean (`std` all zeros); `mode: 'sample'` draws `samples` weight sets `mu + softplus(rho)·eps`
 * inside the graph (seedless `RandomNormal`: fresh draws at every run), runs the network on each
 * (batched over the samples), applies `activation` per sample, and gives the mean and the
 * standard deviation over the samples (Bessel-corrected, as core's `predictiveMoments`).
 * Supports `Linear`, `Conv1d`, `Conv2d`, `MaxPool1d`/`2d`, `AvgPool1d`/`2d`, `Flatten`, `ReLU`,
 * `Tanh`, `Sigmoid` and `Sequential`; any other module is an error naming it. The weights are read when called.
 */
export async function exportOnnx(
  module: Module<AnyTensor>,
  options: ExportOnnxOptions,
): Promise<Uint8Array> {
  const { inputShape, mode, samples: S, activation } = checkOptions(options);
  const layers: Layer[] = [];
  const outputShape = flatten(module, '', inputShape, inputShape, layers);
  const bayesian = layers.filter((l) => Object.keys(distributionsOf(l)).length > 0);
  const sampled = mode === 'sample' && bayesian.length > 0;
  const tokens = layers[0]?.kind === 'embedding' || layers[0]?.kind === 'lstm';
  // Every read starts before any is awaited: one snapshot of the weights.
  const host = new Map(
    await Promise.all(
      bayesian.map(async (l) => {
        const entries = Object.entries(distributionsOf(l));
        const read = await Promise.all(entries.map(([, d]) => readGaussian(d)));
        const byName: Record<string, HostGaussian> = {};
        entries.forEach(([name], k) => {
          byName[name] = read[k] as HostGaussian;
        });
        return [l, byName] as const;
      }),
    ),
  );
  const weights = new Map(
    [...host].map(([l, d]) => [l, { w: d.weights as HostGaussian, b: d.bias ?? null }] as const),
  );

  const g = new Graph();
  let h = 'input';
  let layout: Layout = 'plain';
  /** Swaps the first two axes of a value of rank `rank`. */
  const swap = (value: string, rank: number) =>
    g.op(
      'Transpose',
      [value],
      [ints('perm', [1, 0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)])],
    );
  /** `[batch, S·C, …spatial]` → `[S, batch, C, …spatial]`. */
  const unfold = (shape: Shape) => {
    const [, ...rest] = shape.map(Number);
    h = swap(g.op('Reshape', [h, g.int64s([0, S, ...rest])]), shape.length + 1);
    layout = 'sampled';
  };
  let index = 0;
  for (const l of layers) {
    const name = `layer${index++}`;
    switch (l.kind) {
      case 'embedding':
      case 'lstm': {
        const d = host.get(l) as Record<string, HostGaussian>;
        const table = l.kind === 'embedding' ? l.layer : l.layer.embedding;
        const [rows, cols] = [table.numEmbeddings, table.embeddingsDim];
        const e = d[l.kind === 'embedding' ? 'weights' : 'embedding'] as HostGaussian;
        let matrix = g.floats(`${name}.embedding_mu`, [rows, cols], e.mu);
        if (sampled) {
          const sigma = g.floats(`${name}.embedding_sigma`, [rows, cols], e.sigma);
          matrix = g.sample(matrix, sigma, [S, rows, cols]);
        }
        // Tokens [B, …] → rows [B, …, cols], or [S, B, …, cols] from S sampled tables.
        let flat = h;
        if (l.kind === 'lstm' && l.input.length === 3) {
          flat = g.op('Reshape', [h, g.int64s([0, dim(l.input, 1)])]);
        }
        h = g.op('Gather', [matrix, flat], [int('axis', sampled ? 1 : 0)]);
        if (table.maxNorm !== null) h = renorm(g, h, table.maxNorm, table.normType);
        if (sampled) layout = 'sampled';
        if (l.kind === 'lstm')
          h = lstmSteps(g, name, h, l.layer, d, dim(l.input, 1), sampled ? S : 0);
        break;
      }
      case 'Relu':
      case 'Tanh':
      case 'Sigmoid':
        h = g.op(l.kind, [h]);
        break;
      case 'linear': {
        const { inputSize: n, outputSize: m } = l.layer;
        const { w, b } = weights.get(l) as { w: HostGaussian; b: HostGaussian | null };
        let weight = g.floats(`${name}.weight_mu_t`, [n, m], transpose(w.mu, m, n));
        if (sampled) {
          const sigma = g.floats(`${name}.weight_sigma_t`, [n, m], transpose(w.sigma, m, n));
          weight = g.sample(weight, sigma, [S, n, m]);
        }
        // [B, n]·[n, m], [B, n]·[S, n, m] or [S, B, n]·[S, n, m] (→ [S, B, m]).
        h = g.op('MatMul', [h, weight]);
        if (b) {
          let bias = g.floats(`${name}.bias_mu`, [m], b.mu);
          if (sampled)
            bias = g.sample(bias, g.floats(`${name}.bias_sigma`, [m], b.sigma), [S, 1, m]);
          h = g.op('Add', [h, bias]);
        }
        if (sampled) layout = 'sampled';
        break;
      }
      case 'conv': {
        const { inputChannels: c, outputChannels: o, groups } = l.layer;
        const { kernel, stride, padding, dilation } = l;
        const { w, b } = weights.get(l) as { w: HostGaussian; b: HostGaussian | null };
        const wShape = [o, c / groups, ...kernel];
        const ones = kernel.map(() => 1);
        let weight = g.floats(`${name}.weight_mu`, wShape, w.mu);
        let bias = b ? g.floats(`${name}.bias_mu`, [o, ...ones], b.mu) : null;
        let group = groups;
        if (sampled) {
          if (layout === 'plain') {
            // The input, the same for every sample: [B, C, …] → [B, S·C, …].
            h = g.op('Tile', [h, g.int64s([1, S, ...ones])]);
          } else if (layout === 'sampled') {
            // [S, B, C, …] → [B, S·C, …].
            const rest = l.input.slice(2).map(Number);
            h = g.op('Reshape', [swap(h, l.input.length + 1), g.int64s([0, S * c, ...rest])]);
          }
          layout = 'folded';
          // S weight sets as one grouped kernel: group s·groups + j sees sample s's channels.
          const sigma = g.floats(`${name}.weight_sigma`, wShape, w.sigma);
          const draw = g.sample(weight, sigma, [S, ...wShape]);
          weight = g.op('Reshape', [draw, g.int64s([S * o, c / groups, ...kernel])]);
          group = S * groups;
          if (b && bias) {
            const sigmaB = g.floats(`${name}.bias_sigma`, [o, ...ones], b.sigma);
            const drawB = g.sample(bias, sigmaB, [S, o, ...ones]);
            bias = g.op('Reshape', [drawB, g.int64s([S * o, ...ones])]);
          }
        }
        h = g.op(
          'Conv',
          [h, weight],
          [
            ints('kernel_shape', kernel),
            ints('strides', stride),
            ints('pads', [...padding, ...padding]),
            ints('dilations', dilation),
            int('group', group),
          ],
        );
        if (bias) h = g.op('Add', [h, bias]);
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const { kernel, stride, padding } = l;
        const attributes = [
          ints('kernel_shape', kernel),
          ints('strides', stride),
          ints('pads', [...padding, ...padding]),
        ];
        // Padding counts as zeros in a mean, as core's average pools.
        if (l.kind === 'AveragePool') attributes.push(int('count_include_pad', 1));
        if (layout === 'sampled') {
          // [S, B, C, …] → [S·B, C, …] and back.
          const merged = g.op('Reshape', [h, g.int64s([-1, ...l.input.slice(1).map(Number)])]);
          const pooled = g.op(l.kind, [merged], attributes);
          h = g.op('Reshape', [pooled, g.int64s([S, -1, ...l.output.slice(1).map(Number)])]);
        } else {
          h = g.op(l.kind, [h], attributes);
        }
        break;
      }
      case 'flatten': {
        if (layout === 'folded') unfold(l.input);
        const lead = layout === 'sampled' ? [0, 0] : [0];
        h = g.op('Reshape', [h, g.int64s([...lead, ...l.output.slice(1).map(Number)])]);
        break;
      }
    }
  }
  if (layout === 'folded') unfold(outputShape);
  if (activation === 'softmax') h = g.op('Softmax', [h], [int('axis', -1)]);

  if (layout === 'sampled') {
    const axis0 = g.int64s([0]);
    const mean = g.op('ReduceMean', [h, axis0], [int('keepdims', 0)], 'mean');
    const centred = g.op('Sub', [h, g.op('Unsqueeze', [mean, axis0])]);
    const squares = g.op(
      'ReduceSum',
      [g.op('Mul', [centred, centred]), axis0],
      [int('keepdims', 0)],
    );
    const divisor = g.floats('std_divisor', [], Float32Array.of(Math.max(1, S - 1)));
    g.op('Sqrt', [g.op('Div', [squares, divisor])], [], 'std');
  } else {
    const mean = g.op('Identity', [h], [], 'mean');
    const zero = constantTensor('zero', DataType.FLOAT, [1], Float32Array.of(0));
    g.op(
      'ConstantOfShape',
      [g.op('Shape', [mean])],
      [{ name: 'value', type: 'tensor', value: zero }],
      'std',
    );
  }
  return encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: 'illia-ts',
    graph: {
      name: `illia_ts_${sampled ? 'sample' : 'mean'}`,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [
        { name: 'input', elemType: tokens ? DataType.INT32 : DataType.FLOAT, dims: inputShape },
      ],
      outputs: [
        { name: 'mean', elemType: DataType.FLOAT, dims: outputShape },
        { name: 'std', elemType: DataType.FLOAT, dims: outputShape },
      ],
    },
  });
}

/**
 * Rows `x` (last axis) whose `p`-norm exceeds `maxNorm` scaled by `maxNorm / (norm + 1e-7)`, as
 * core's `Embedding` and PyTorch's `F.embedding` rescale them.
 */
function renorm(g: Graph, x: string, maxNorm: number, p: number): string {
  const axes = g.int64s([-1]);
  const keep = [int('keepdims', 1)];
  let norm: string;
  if (p === 2) norm = g.op('ReduceL2', [x, axes], keep);
  else if (p === 1) norm = g.op('ReduceL1', [x, axes], keep);
  else {
    const power = g.floats(`norm_p_${p}`, [], Float32Array.of(p));
    const inverse = g.floats(`norm_inverse_p_${p}`, [], Float32Array.of(1 / p));
    const sum = g.op('ReduceSum', [g.op('Pow', [g.op('Abs', [x]), power]), axes], keep);
    norm = g.op('Pow', [sum, inverse]);
  }
  const bound = g.floats(`max_norm_${p}_${maxNorm}`, [], Float32Array.of(maxNorm));
  const tiny = g.floats('norm_epsilon', [], Float32Array.of(1e-7));
  const scale = g.op('Div', [bound, g.op('Add', [norm, tiny])]);
  const one = g.floats('one', [], Float32Array.of(1));
  return g.op('Mul', [x, g.op('Where', [g.op('Greater', [norm, bound]), scale, one])]);
}

/**
 * illia's LSTM cell over `steps` fixed steps, from embedded tokens `x` (`[B, steps, E]`, or
 * `[S, B, steps, E]` with `samples` S > 0 weight sets), to the head's output `[B, O]` (`[S, B, O]`):
 * `z = concat(x_t, h)`, `f, i, o = sigmoid(z·W{f,i,o}ᵀ + b)`, `c̃ = tanh(z·Wcᵀ + bc)`,
 * `c = f⊙c + i⊙c̃`, `h = o⊙tanh(c)`, `y = h_T·Wvᵀ + bv`; the state starts at zeros.
 */
function lstmSteps(
  g: Graph,
  name: string,
  x: string,
  lstm: LSTM,
  d: Readonly<Record<string, HostGaussian>>,
  steps: number,
  samples: number,
): string {
  const [E, H, O] = [lstm.embeddingsDim, lstm.hiddenSize, lstm.outputSize];
  const part = (k: string) => d[k] as HostGaussian;
  /** The four gates' weights as one `[E + H, 4H]` matrix (transposed), and biases `[4H]`. */
  const gates = (of: 'mu' | 'sigma') => ({
    w: transpose(stackRows(GATE_ORDER.map((gate) => part(`w${gate}`)[of])), 4 * H, E + H),
    b: stackRows(GATE_ORDER.map((gate) => part(`b${gate}`)[of])),
  });
  const mu = gates('mu');
  /** A weight at its mean, or `samples` draws of it (shape `[S, …shape]`). */
  const weight = (
    key: string,
    shape: readonly number[],
    m: Float32Array,
    sigma: () => Float32Array,
  ) => {
    const mean = g.floats(`${name}.${key}_mu`, shape, m);
    if (samples === 0) return mean;
    return g.sample(mean, g.floats(`${name}.${key}_sigma`, shape, sigma()), [samples, ...shape]);
  };
  const w = weight('gates_weight_t', [E + H, 4 * H], mu.w, () => gates('sigma').w);
  const b = weight('gates_bias', [4 * H], mu.b, () => gates('sigma').b);
  const wv = weight('head_weight_t', [H, O], transpose(part('wv').mu, O, H), () =>
    transpose(part('wv').sigma, O, H),
  );
  const bv = weight('head_bias', [O], part('bv').mu, () => part('bv').sigma);
  // Axes: a weight's rows (after the samples), and x's steps (after the samples and the batch).
  const rowAxis = samples === 0 ? 0 : 1;
  const stepAxis = samples === 0 ? 1 : 2;
  const unsqueeze = (v: string, axes: number[]) =>
    samples === 0 ? v : g.op('Unsqueeze', [v, g.int64s(axes)]);
  const slice = (v: string, from: number, to: number, axis: number) =>
    g.op('Slice', [v, g.int64s([from]), g.int64s([to]), g.int64s([axis])]);
  const wx = slice(w, 0, E, rowAxis);
  const wh = slice(w, E, E + H, rowAxis);
  // Every step's input term at once: [S?, B, steps, 4H].
  const xs = g.op('Add', [g.op('MatMul', [x, unsqueeze(wx, [1])]), unsqueeze(b, [1, 2])]);
  let h: string | null = null;
  let c: string | null = null;
  for (let t = 0; t < steps; t++) {
    const xt = g.op('Gather', [xs, g.int64Scalar(t)], [int('axis', stepAxis)]);
    const z = h === null ? xt : g.op('Add', [xt, g.op('MatMul', [h, wh])]);
    const fio = g.op('Sigmoid', [slice(z, 0, 3 * H, -1)]);
    const candidate = g.op('Tanh', [slice(z, 3 * H, 4 * H, -1)]);
    const [f, i, o] = [0, 1, 2].map((k) => slice(fio, k * H, (k + 1) * H, -1)) as [
      string,
      string,
      string,
    ];
    const ic = g.op('Mul', [candidate, i]);
    c = c === null ? ic : g.op('Add', [g.op('Mul', [c, f]), ic]);
    h = g.op('Mul', [o, g.op('Tanh', [c])]);
  }
  return g.op('Add', [g.op('MatMul', [h as string, wv]), unsqueeze(bv, [1])]);
}
