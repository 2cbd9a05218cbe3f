/**
 * ONNX models written by hand: the message types of `onnx.proto` that a small inference graph
 * needs (ModelProto, GraphProto, NodeProto, TensorProto, AttributeProto, ValueInfoProto), and the
 * hand-fused Gaussian graphs that are the ONNX Runtime ceiling of the bench.
 *
 * Field numbers are those of onnx/onnx.proto (proto2).
 */
import { ProtoWriter } from './protobuf.js';

/** The opset the graphs are written against (ReduceSum takes `axes` as an input since 13). */
export const OPSET = 17;
/** The IR version that goes with opset 17. */
const IR_VERSION = 8;
/** TensorProto.DataType.FLOAT. */
const FLOAT = 1;
/** TensorProto.DataType.DOUBLE. */
const DOUBLE = 11;

/** An attribute value: a number is a FLOAT unless {@link intAttr} wraps it. */
export type AttributeValue =
  | number
  | { readonly int: number }
  | { readonly ints: readonly number[] };

/** An INT attribute (plain numbers are FLOAT attributes). */
export function intAttr(value: number): { readonly int: number } {
  return { int: value };
}

/** An INTS attribute. */
export function intsAttr(values: readonly number[]): { readonly ints: readonly number[] } {
  return { ints: values };
}

/** One node: `outputs = opType(inputs)` with attributes. */
export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A float graph input or output: a name and a shape whose entries are sizes or symbolic names. */
export interface OnnxValue {
  readonly name: string;
  readonly shape: readonly (number | string)[];
}

/** A float32 constant folded into the model. */
export interface OnnxInitializer {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** Everything a model holds. */
export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  readonly initializers?: readonly OnnxInitializer[];
}

function attributeProto(name: string, value: AttributeValue): ProtoWriter {
  // AttributeProto: name = 1, f = 2, i = 3, ints = 8, type = 20 (FLOAT = 1, INT = 2, INTS = 7).
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') return w.float(2, value).int(20, 1);
  if ('int' in value) return w.int(3, value.int).int(20, 2);
  for (const v of value.ints) w.int(8, v);
  return w.int(20, 7);
}

function nodeProto(node: OnnxNode, index: number): ProtoWriter {
  // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, `${node.opType}_${index}`).string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    w.message(5, attributeProto(name, value));
  }
  return w;
}

function tensorProto(init: OnnxInitializer): ProtoWriter {
  // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian bytes).
  const w = new ProtoWriter();
  for (const d of init.shape) w.int(1, d);
  w.int(2, FLOAT).string(8, init.name);
  const raw = new Uint8Array(init.values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < init.values.length; i++)
    view.setFloat32(i * 4, init.values[i] as number, true);
  return w.bytes(9, raw);
}

function valueInfoProto(value: OnnxValue): ProtoWriter {
  // ValueInfoProto: name = 1, type = 2; TypeProto: tensor_type = 1; TypeProto.Tensor:
  // elem_type = 1, shape = 2; TensorShapeProto: dim = 1; Dimension: dim_value = 1, dim_param = 2.
  const shape = new ProtoWriter();
  for (const d of value.shape) {
    const dim =
      typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, value.name).message(2, type);
}

/** The bytes of a ModelProto holding `graph`, for `InferenceSession.create(bytes)`. */
export function encodeModel(graph: OnnxGraph): Uint8Array {
  // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
  const g = new ProtoWriter();
  for (const [i, node] of graph.nodes.entries()) g.message(1, nodeProto(node, i));
  g.string(2, graph.name);
  for (const init of graph.initializers ?? []) g.message(5, tensorProto(init));
  for (const input of graph.inputs) g.message(11, valueInfoProto(input));
  for (const output of graph.outputs) g.message(12, valueInfoProto(output));
  // ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8;
  // OperatorSetIdProto: domain = 1 (empty: the default ONNX domain), version = 2.
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, '@illia-ts/bench')
    .message(7, g)
    .message(8, new ProtoWriter().string(1, '').int(2, OPSET))
    .finish();
}

/** The prior and initial values of the Gaussian graphs. */
export interface GaussianGraphOptions {
  readonly muPrior: number;
  readonly stdPrior: number;
  /** Seed of the RandomNormal nodes. ONNX declares it a float attribute, so it is a float32. */
  readonly seed: number;
}

const scalar = (name: string, value: number): OnnxInitializer => ({
  name,
  shape: [],
  values: Float32Array.of(value),
});

/** `mu + softplus(rho) ⊙ N(0,1)`: appends the nodes, returns the output name. */
function sampleNodes(nodes: OnnxNode[], seed: number, out: string): void {
  nodes.push(
    { opType: 'RandomNormalLike', inputs: ['mu'], outputs: ['eps'], attributes: { seed } },
    { opType: 'Softplus', inputs: ['rho'], outputs: ['sigma'] },
    { opType: 'Mul', inputs: ['sigma', 'eps'], outputs: ['scaled'] },
    { opType: 'Add', inputs: ['mu', 'scaled'], outputs: [out] },
  );
}

/** `Σ log stdPrior − log σ − ((x−mu)/σ)²/2 + (x−muPrior)²/(2 stdPrior²)`: appends the nodes. */
function logRatioNodes(nodes: OnnxNode[], x: string, sigma: string, out: string): void {
  nodes.push(
    { opType: 'Log', inputs: [sigma], outputs: ['logSigma'] },
    { opType: 'Sub', inputs: ['logStdPrior', 'logSigma'], outputs: ['logRatio'] },
    { opType: 'Sub', inputs: [x, 'mu'], outputs: ['dev'] },
    { opType: 'Div', inputs: ['dev', sigma], outputs: ['z'] },
    { opType: 'Mul', inputs: ['z', 'z'], outputs: ['z2'] },
    { opType: 'Mul', inputs: ['z2', 'half'], outputs: ['posterior'] },
    { opType: 'Sub', inputs: [x, 'muPrior'], outputs: ['devPrior'] },
    { opType: 'Mul', inputs: ['devPrior', 'devPrior'], outputs: ['devPrior2'] },
    { opType: 'Mul', inputs: ['devPrior2', 'priorScale'], outputs: ['priorTerm'] },
    { opType: 'Sub', inputs: ['logRatio', 'posterior'], outputs: ['diff'] },
    { opType: 'Add', inputs: ['diff', 'priorTerm'], outputs: ['terms'] },
    // A float32 ReduceSum drifts past 1e-4 relative error by 1e7 terms (the check catches it), so
    // the sum runs in float64. No axes input and keepdims = 0: every axis, to a scalar.
    {
      opType: 'Cast',
      inputs: ['terms'],
      outputs: ['terms64'],
      attributes: { to: intAttr(DOUBLE) },
    },
    {
      opType: 'ReduceSum',
      inputs: ['terms64'],
      outputs: ['sum64'],
      attributes: { keepdims: intAttr(0) },
    },
    { opType: 'Cast', inputs: ['sum64'], outputs: [out], attributes: { to: intAttr(FLOAT) } },
  );
}

function priorInitializers(o: GaussianGraphOptions): OnnxInitializer[] {
  return [
    scalar('logStdPrior', Math.log(o.stdPrior)),
    scalar('half', 0.5),
    scalar('muPrior', o.muPrior),
    scalar('priorScale', 1 / (2 * o.stdPrior ** 2)),
  ];
}

const N: OnnxValue['shape'] = ['n'];

/** `mu, rho` of `size` elements initialised as `init + 0.1·N(0,1)` (RandomNormal). */
export function constructModel(
  size: number,
  muInit: number,
  rhoInit: number,
  seed: number,
): Uint8Array {
  return encodeModel({
    name: 'gaussian_construct',
    nodes: [
      {
        opType: 'RandomNormal',
        inputs: [],
        outputs: ['mu'],
        attributes: { mean: muInit, scale: 0.1, seed, shape: intsAttr([size]) },
      },
      {
        opType: 'RandomNormal',
        inputs: [],
        outputs: ['rho'],
        attributes: { mean: rhoInit, scale: 0.1, seed: seed + 1, shape: intsAttr([size]) },
      },
    ],
    inputs: [],
    outputs: [
      { name: 'mu', shape: [size] },
      { name: 'rho', shape: [size] },
    ],
  });
}

/** `sample = mu + softplus(rho) ⊙ N(0,1)`, one fused graph. */
export function sampleModel(o: GaussianGraphOptions): Uint8Array {
  const nodes: OnnxNode[] = [];
  sampleNodes(nodes, o.seed, 'sample');
  return encodeModel({
    name: 'gaussian_sample',
    nodes,
    inputs: [
      { name: 'mu', shape: N },
      { name: 'rho', shape: N },
    ],
    outputs: [{ name: 'sample', shape: N }],
  });
}

/** The scalar `logProb(x)`, one fused graph. */
export function logProbModel(o: GaussianGraphOptions): Uint8Array {
  const nodes: OnnxNode[] = [{ opType: 'Softplus', inputs: ['rho'], outputs: ['sigma'] }];
  logRatioNodes(nodes, 'x', 'sigma', 'logProb');
  return encodeModel({
    name: 'gaussian_log_prob',
    nodes,
    initializers: priorInitializers(o),
    inputs: [
      { name: 'x', shape: N },
      { name: 'mu', shape: N },
      { name: 'rho', shape: N },
    ],
    outputs: [{ name: 'logProb', shape: [] }],
  });
}

/** A fresh sample and its `logProb`, one fused graph with both outputs. */
export function sampleLogProbModel(o: GaussianGraphOptions): Uint8Array {
  const nodes: OnnxNode[] = [];
  sampleNodes(nodes, o.seed, 'sample');
  logRatioNodes(nodes, 'sample', 'sigma', 'logProb');
  return encodeModel({
    name: 'gaussian_sample_log_prob',
    nodes,
    initializers: priorInitializers(o),
    inputs: [
      { name: 'mu', shape: N },
      { name: 'rho', shape: N },
    ],
    outputs: [
      { name: 'sample', shape: N },
      { name: 'logProb', shape: [] },
    ],
  });
}
