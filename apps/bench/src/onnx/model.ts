/**
 * The hand-fused graphs that are the ONNX Runtime ceiling of the bench (the Gaussian operations,
 * and conv2d forward and backward), written with the backend's own ONNX protobuf writer
 * (`@illia-ts/backend-onnx/proto`).
 */
import {
  type AttributeProto,
  constantTensor,
  DataType,
  encodeModel,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '@illia-ts/backend-onnx/proto';

/** The opset the graphs are written against (ReduceSum takes `axes` as an input since 13). */
export const OPSET = 17;
/** The IR version that goes with opset 17. */
const IR_VERSION = 8;

/** One node: `outputs = opType(inputs)`; named `<opType>_<index>` by {@link model}. */
type OnnxNode = Omit<NodeProto, 'name'>;

const float = (name: string, value: number): AttributeProto => ({ name, type: 'float', value });
const int = (name: string, value: number): AttributeProto => ({ name, type: 'int', value });
const ints = (name: string, value: readonly number[]): AttributeProto => ({
  name,
  type: 'ints',
  value,
});

/** A float32 graph input or output; a string dim is symbolic (any size at run time). */
const floats = (name: string, dims: readonly (number | string)[]): ValueInfoProto => ({
  name,
  elemType: DataType.FLOAT,
  dims,
});

/** The bytes of a ModelProto holding the graph, for `InferenceSession.create(bytes)`. */
function model(graph: Omit<GraphProto, 'nodes'> & { readonly nodes: readonly OnnxNode[] }) {
  return encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET,
    producerName: '@illia-ts/bench',
    graph: { ...graph, nodes: graph.nodes.map((n, i) => ({ ...n, name: `${n.opType}_${i}` })) },
  });
}

/** The prior and initial values of the Gaussian graphs. */
export interface GaussianGraphOptions {
  readonly muPrior: number;
  readonly stdPrior: number;
  /** Seed of the RandomNormal nodes. ONNX declares it a float attribute, so it is a float32. */
  readonly seed: number;
}

const scalar = (name: string, value: number): TensorProto =>
  constantTensor(name, DataType.FLOAT, [], Float32Array.of(value));

/** `mu + softplus(rho) ⊙ N(0,1)`: appends the nodes, returns the output name. */
function sampleNodes(nodes: OnnxNode[], seed: number, out: string): void {
  nodes.push(
    {
      opType: 'RandomNormalLike',
      inputs: ['mu'],
      outputs: ['eps'],
      attributes: [float('seed', seed)],
    },
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
      attributes: [int('to', DataType.DOUBLE)],
    },
    {
      opType: 'ReduceSum',
      inputs: ['terms64'],
      outputs: ['sum64'],
      attributes: [int('keepdims', 0)],
    },
    { opType: 'Cast', inputs: ['sum64'], outputs: [out], attributes: [int('to', DataType.FLOAT)] },
  );
}

function priorInitializers(o: GaussianGraphOptions): TensorProto[] {
  return [
    scalar('logStdPrior', Math.log(o.stdPrior)),
    scalar('half', 0.5),
    scalar('muPrior', o.muPrior),
    scalar('priorScale', 1 / (2 * o.stdPrior ** 2)),
  ];
}

const N = ['n'];

/** `mu, rho` of `size` elements initialised as `init + 0.1·N(0,1)` (RandomNormal). */
export function constructModel(
  size: number,
  muInit: number,
  rhoInit: number,
  seed: number,
): Uint8Array {
  return model({
    name: 'gaussian_construct',
    nodes: [
      {
        opType: 'RandomNormal',
        inputs: [],
        outputs: ['mu'],
        attributes: [
          float('mean', muInit),
          float('scale', 0.1),
          float('seed', seed),
          ints('shape', [size]),
        ],
      },
      {
        opType: 'RandomNormal',
        inputs: [],
        outputs: ['rho'],
        attributes: [
          float('mean', rhoInit),
          float('scale', 0.1),
          float('seed', seed + 1),
          ints('shape', [size]),
        ],
      },
    ],
    inputs: [],
    outputs: [floats('mu', [size]), floats('rho', [size])],
  });
}

/** `sample = mu + softplus(rho) ⊙ N(0,1)`, one fused graph. */
export function sampleModel(o: GaussianGraphOptions): Uint8Array {
  const nodes: OnnxNode[] = [];
  sampleNodes(nodes, o.seed, 'sample');
  return model({
    name: 'gaussian_sample',
    nodes,
    inputs: [floats('mu', N), floats('rho', N)],
    outputs: [floats('sample', N)],
  });
}

/** The scalar `logProb(x)`, one fused graph. */
export function logProbModel(o: GaussianGraphOptions): Uint8Array {
  const nodes: OnnxNode[] = [{ opType: 'Softplus', inputs: ['rho'], outputs: ['sigma'] }];
  logRatioNodes(nodes, 'x', 'sigma', 'logProb');
  return model({
    name: 'gaussian_log_prob',
    nodes,
    initializers: priorInitializers(o),
    inputs: [floats('x', N), floats('mu', N), floats('rho', N)],
    outputs: [floats('logProb', [])],
  });
}

/** A fresh sample and its `logProb`, one fused graph with both outputs. */
export function sampleLogProbModel(o: GaussianGraphOptions): Uint8Array {
  const nodes: OnnxNode[] = [];
  sampleNodes(nodes, o.seed, 'sample');
  logRatioNodes(nodes, 'sample', 'sigma', 'logProb');
  return model({
    name: 'gaussian_sample_log_prob',
    nodes,
    initializers: priorInitializers(o),
    inputs: [floats('mu', N), floats('rho', N)],
    outputs: [floats('sample', N), floats('logProb', [])],
  });
}

/** The shape of {@link convStepModel}'s convolution: NCHW x, OIHW weights, stride 1, no padding. */
export interface ConvGraphShape {
  readonly batch: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly height: number;
  readonly width: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
}

/** Attributes every Conv and ConvTranspose of the conv graphs spells out: stride 1, no padding. */
function convAttributes(kh: number, kw: number): AttributeProto[] {
  return [
    ints('kernel_shape', [kh, kw]),
    ints('strides', [1, 1]),
    ints('pads', [0, 0, 0, 0]),
    ints('dilations', [1, 1]),
    int('group', 1),
  ];
}

const SWAP_01 = ints('perm', [1, 0, 2, 3]);

/** `y = Conv(x, w)`: the one-node forward graph (the conv2d check reads y from it). */
export function convForwardModel(s: ConvGraphShape): Uint8Array {
  const ho = s.height - s.kernelHeight + 1;
  const wo = s.width - s.kernelWidth + 1;
  return model({
    name: 'conv2d_forward',
    nodes: [
      {
        opType: 'Conv',
        inputs: ['x', 'w'],
        outputs: ['y'],
        attributes: convAttributes(s.kernelHeight, s.kernelWidth),
      },
    ],
    inputs: [
      floats('x', [s.batch, s.inChannels, s.height, s.width]),
      floats('w', [s.outChannels, s.inChannels, s.kernelHeight, s.kernelWidth]),
    ],
    outputs: [floats('y', [s.batch, s.outChannels, ho, wo])],
  });
}

/**
 * conv2d forward and backward as ONNX Runtime runs it when written by hand: `y = Conv(x, w)` and
 * the loss `Σ y⊙g`; `dx = ConvTranspose(g, w)` (the weights [O, C, kh, kw] read as a transposed
 * convolution from O to C channels); `dW = Conv(xᵀ, gᵀ)ᵀ`, x and g with batch and channels
 * swapped, so the batch is the summed axis, and the [C, O, kh, kw] result swapped back. Valid for
 * stride 1, no padding, dilation 1, one group (the shapes of the conv2d page).
 */
export function convStepModel(s: ConvGraphShape): Uint8Array {
  const ho = s.height - s.kernelHeight + 1;
  const wo = s.width - s.kernelWidth + 1;
  const conv = convAttributes(s.kernelHeight, s.kernelWidth);
  return model({
    name: 'conv2d_forward_backward',
    nodes: [
      { opType: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attributes: conv },
      { opType: 'Mul', inputs: ['y', 'g'], outputs: ['yg'] },
      {
        opType: 'ReduceSum',
        inputs: ['yg'],
        outputs: ['loss'],
        attributes: [int('keepdims', 0)],
      },
      { opType: 'ConvTranspose', inputs: ['g', 'w'], outputs: ['dx'], attributes: conv },
      { opType: 'Transpose', inputs: ['x'], outputs: ['xT'], attributes: [SWAP_01] },
      { opType: 'Transpose', inputs: ['g'], outputs: ['gT'], attributes: [SWAP_01] },
      {
        opType: 'Conv',
        inputs: ['xT', 'gT'],
        outputs: ['dWT'],
        attributes: convAttributes(ho, wo),
      },
      { opType: 'Transpose', inputs: ['dWT'], outputs: ['dW'], attributes: [SWAP_01] },
    ],
    inputs: [
      floats('x', [s.batch, s.inChannels, s.height, s.width]),
      floats('w', [s.outChannels, s.inChannels, s.kernelHeight, s.kernelWidth]),
      floats('g', [s.batch, s.outChannels, ho, wo]),
    ],
    outputs: [
      floats('loss', []),
      floats('dx', [s.batch, s.inChannels, s.height, s.width]),
      floats('dW', [s.outChannels, s.inChannels, s.kernelHeight, s.kernelWidth]),
    ],
  });
}
