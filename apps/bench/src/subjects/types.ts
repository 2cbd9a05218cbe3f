import type { Prior } from '../reference.js';
import type { TimingOptions } from '../timing.js';

/**
 * What the bench times. Each is one user-visible call, timed until its numbers are readable.
 *
 * The Gaussian operations run at every `--sizes` size on a `GaussianDistribution` of that many
 * elements ({@link Workload}); `trainStep` runs at every `--hidden` width on a Bayesian MLP
 * ({@link TrainWorkload}), and its size is the MLP's number of weights; `trainCnn` runs once on
 * the Bayesian CNN of `examples/mnist-cnn` ({@link CnnSetup}), its size the CNN's number of
 * weights, and the backends are compared with PyTorch training it; `conv2d` runs on each
 * convolution shape ({@link ConvWorkload}), and its size is the FLOPs of one forward and backward
 * pass, so its throughput is FLOP/s. To add an operation: add its name here and to
 * {@link OPERATIONS}, and implement it in the `ops` of the subjects that can run it; the others
 * report it `n/a`.
 */
export type Operation =
  | 'construct'
  | 'sample'
  | 'logProb'
  | 'sampleLogProb'
  | 'trainStep'
  | 'trainCnn'
  | 'conv2d';

/** Every operation, in the order tables show them, with what it times. */
export const OPERATIONS: Readonly<Record<Operation, string>> = {
  construct: 'new GaussianDistribution([n]) until mu and rho are readable',
  sample: 'sample() until its values are readable',
  logProb: 'logProb(x) of a fixed x until the scalar is readable',
  sampleLogProb: 'sample() then logProb of it, until the scalar is readable',
  trainStep:
    'one training step of a Bayesian MLP (input → hidden → classes, ReLU; Linear layers that sample their weights): ELBO of cross-entropy and the KL term, backward by valueAndGrad, Adam step, until the loss is readable; its size is the number of weights (each a Gaussian with mu and rho), so M elements/s is M weights trained per second',
  trainCnn:
    "one training step of the Bayesian CNN of examples/mnist-cnn (conv 5×5 → ReLU → max 2×2 → conv 5×5 → ReLU → max 2×2 → flatten → Linear → ReLU → Linear; every weight and bias a Gaussian with mu and rho, sampled at each forward pass): ELBO of cross-entropy and the KL term, backward by valueAndGrad, Adam step, until the loss is readable; its size is the number of weights, so M elements/s is M weights trained per second (steps/s is that over the size); the illia backends' rows are compared with PyTorch's training of the same CNN (ceiling:torch)",
  conv2d:
    'a kernel: conv2d(x [N, C, H, W], weights [O, C, kh, kw]) (stride 1, no padding), then both gradients by valueAndGrad of the loss Σ y⊙g for a fixed random g (dx and dW: conv2dInputGrad and conv2dWeightsGrad), until the loss, dx and dW are readable; its size is the FLOPs of the three convolutions, 3 × 2·N·O·Ho·Wo·C·kh·kw (the loss adds two elementwise passes over y, not counted), so its throughput is GFLOP/s',
};

/** The operations timed on a `GaussianDistribution` of each size. */
export const GAUSSIAN_OPS: readonly Operation[] = [
  'construct',
  'sample',
  'logProb',
  'sampleLogProb',
];

/**
 * One convolution of the conv2d kernel page: x [batch, inChannels, height, width] and weights
 * [outChannels, inChannels, kernelHeight, kernelWidth], stride 1, no padding, no dilation, one
 * group (the geometry every subject, the ONNX Runtime graph included, is written for).
 */
export interface ConvShape {
  readonly batch: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly height: number;
  readonly width: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
}

/** The conv2d page: the shapes it times, in order. */
export interface ConvSetup {
  readonly shapes: readonly ConvShape[];
}

/** LeNet's convolutions, as `--conv-batch` makes them: 1→16 5×5 on 28×28, 16→32 5×5 on 12×12, 32→64 3×3 on 14×14. */
export const LENET_CONVS: readonly Omit<ConvShape, 'batch'>[] = [
  { inChannels: 1, outChannels: 16, height: 28, width: 28, kernelHeight: 5, kernelWidth: 5 },
  { inChannels: 16, outChannels: 32, height: 12, width: 12, kernelHeight: 5, kernelWidth: 5 },
  { inChannels: 32, outChannels: 64, height: 14, width: 14, kernelHeight: 3, kernelWidth: 3 },
];

/** The output's [height, width] of a {@link ConvShape} (stride 1, no padding). */
export function convOutput(shape: ConvShape): [number, number] {
  return [shape.height - shape.kernelHeight + 1, shape.width - shape.kernelWidth + 1];
}

/** Geometry of {@link conv2dFlops}, as `conv2d`'s options (numbers mean height and width alike). */
export interface ConvGeometry {
  readonly stride?: number | readonly [number, number];
  readonly padding?: number | readonly [number, number];
  readonly dilation?: number | readonly [number, number];
  readonly groups?: number;
}

/**
 * The FLOPs of one `conv2d(x, weights, geometry)`: a multiply and an add per term,
 * `2·N·O·Ho·Wo·(C/groups)·kh·kw` (padding counted, as everyone counts it). Each gradient, dx and
 * dW, is a convolution of the same FLOPs.
 */
export function conv2dFlops(
  x: readonly [number, number, number, number],
  weights: readonly [number, number, number, number],
  geometry: ConvGeometry = {},
): number {
  const pair = (v: number | readonly [number, number] | undefined, fallback: number) =>
    v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v;
  const [sh, sw] = pair(geometry.stride, 1) as [number, number];
  const [ph, pw] = pair(geometry.padding, 0) as [number, number];
  const [dh, dw] = pair(geometry.dilation, 1) as [number, number];
  const groups = geometry.groups ?? 1;
  const [n, c, h, w] = x;
  const [o, cg, kh, kw] = weights;
  if (cg * groups !== c) {
    throw new RangeError(
      `conv2dFlops: weights take ${cg} channels per group, x has ${c} in ${groups} groups`,
    );
  }
  const ho = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  return 2 * n * o * ho * wo * cg * kh * kw;
}

/** The FLOPs of the timed step on `shape`: forward, dx and dW, three times one convolution's. */
export function convStepFlops(shape: ConvShape): number {
  return (
    3 *
    conv2dFlops(
      [shape.batch, shape.inChannels, shape.height, shape.width],
      [shape.outChannels, shape.inChannels, shape.kernelHeight, shape.kernelWidth],
    )
  );
}

/** How a conv shape is written in tables: `1→16 5×5 on 28×28, batch 64`. */
export function convLabel(shape: ConvShape): string {
  return `${shape.inChannels}→${shape.outChannels} ${shape.kernelHeight}×${shape.kernelWidth} on ${shape.height}×${shape.width}, batch ${shape.batch}`;
}

/** The float32 values the conv2d check needs (NCHW, weights OIHW): y, and dx and dW of Σ y⊙g. */
export interface ConvCheckValues {
  readonly y: Float32Array;
  readonly dx: Float32Array;
  readonly dW: Float32Array;
}

/** One subject's convolution at one shape, its inputs on its engine, ready to time. */
export interface ConvWorkload {
  /** conv2d forward, then dx and dW; resolves when the loss, dx and dW are readable. */
  step(): Promise<void>;
  /** For a subject in another process: times `step` there, as {@link Workload.timeOp}. */
  timeStep?(timing: TimingOptions): Promise<SelfTimed>;
  /**
   * Values for the float64 check, taken before anything is timed; absent for a ceiling that
   * computes no convolution (a peak FLOP rate), which checks itself when it opens.
   */
  checkValues?(): Promise<ConvCheckValues>;
  liveTensors(): number | null;
  dispose(): void;
}

/** The Bayesian MLP of the training step, the same for every subject. */
export interface TrainSetup {
  /** Features per example (784: an MNIST image). */
  readonly input: number;
  /** Widths of the hidden layer, one measurement each. */
  readonly hidden: readonly number[];
  readonly classes: number;
  /** Examples per step. */
  readonly batch: number;
  /** Weight of the KL term in the ELBO (divided by the weight count, as `ELBOLoss` does). */
  readonly klWeight: number;
  /** Adam's learning rate. */
  readonly lr: number;
}

/**
 * The Bayesian CNN of `examples/mnist-cnn` (its `buildModel`): `Conv2d(1, c1, k)` → ReLU →
 * `MaxPool2d(2)` → `Conv2d(c1, c2, k)` → ReLU → `MaxPool2d(2)` → `Flatten` → `Linear(flat, hidden)`
 * → ReLU → `Linear(hidden, classes)`, stride 1 and no padding, every weight and bias a Gaussian.
 */
export interface CnnSetup {
  /** Height and width of the one-channel input images (28: MNIST). */
  readonly side: number;
  /** Output channels of the two convolutions. */
  readonly channels: readonly [number, number];
  /** Kernel height and width of both convolutions. */
  readonly kernel: number;
  /** Width of the hidden Linear layer. */
  readonly hidden: number;
  readonly classes: number;
  /** Images per step. */
  readonly batch: number;
  /** Weight of the KL term in the ELBO (divided by the weight count, as `ELBOLoss` does). */
  readonly klWeight: number;
  /** Adam's learning rate. */
  readonly lr: number;
}

/** The example's CNN at batch 64: 16 and 32 channels, 5×5 kernels, 64 hidden units, 46,730 weights. */
export const MNIST_CNN: CnnSetup = {
  side: 28,
  channels: [16, 32],
  kernel: 5,
  hidden: 64,
  classes: 10,
  batch: 64,
  klWeight: 0.1,
  lr: 1e-3,
};

/**
 * The CNN's feature-map sides: after the first convolution, its pooling, the second convolution
 * and its pooling (28 → 24 → 12 → 8 → 4 for the example). Throws where a side does not fit.
 */
export function cnnSides(
  setup: Pick<CnnSetup, 'side' | 'kernel'>,
): [number, number, number, number] {
  const conv1 = setup.side - setup.kernel + 1;
  const pool1 = Math.floor(conv1 / 2);
  const conv2 = pool1 - setup.kernel + 1;
  const pool2 = Math.floor(conv2 / 2);
  if (!(conv1 % 2 === 0 && conv2 % 2 === 0 && pool2 >= 1)) {
    throw new RangeError(
      `CNN: a ${setup.side}×${setup.side} input and ${setup.kernel}×${setup.kernel} kernels give sides ${conv1}, ${pool1}, ${conv2}, ${pool2}: each convolution's output must be even and the last side ≥ 1`,
    );
  }
  return [conv1, pool1, conv2, pool2];
}

/**
 * The shapes of the CNN's parameters' means, in `model.parameters()` order: per layer weights
 * then bias (conv weights `[out, in, k, k]`, Linear weights `[out, in]`); each has a rho of the
 * same shape after it.
 */
export function cnnShapes(setup: CnnSetup): number[][] {
  const [c1, c2] = setup.channels;
  const k = setup.kernel;
  const flat = c2 * cnnSides(setup)[3] ** 2;
  return [
    [c1, 1, k, k],
    [c1],
    [c2, c1, k, k],
    [c2],
    [setup.hidden, flat],
    [setup.hidden],
    [setup.classes, setup.hidden],
    [setup.classes],
  ];
}

/** The number of weights (Gaussians) of the CNN: the size of `trainCnn`. */
export function cnnSize(setup: CnnSetup): number {
  return cnnShapes(setup).reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0);
}

/** How the CNN is written in tables: `CNN 16-32-64-10 (5×5) on 28×28, batch 64`. */
export function cnnLabel(setup: CnnSetup): string {
  const [c1, c2] = setup.channels;
  return `CNN ${c1}-${c2}-${setup.hidden}-${setup.classes} (${setup.kernel}×${setup.kernel}) on ${setup.side}×${setup.side}, batch ${setup.batch}`;
}

/** The number of weights (Gaussians) of the MLP with `hidden` units: the training step's size. */
export function trainSize(setup: Pick<TrainSetup, 'input' | 'classes'>, hidden: number): number {
  return (setup.input + 1) * hidden + (hidden + 1) * setup.classes;
}

/** How the training step's MLP is written in tables: `784-400-10, batch 128`. */
export function trainLabel(setup: TrainSetup, hidden: number): string {
  return `${setup.input}-${hidden}-${setup.classes}, batch ${setup.batch}`;
}

/**
 * What the training check needs, in `model.parameters()` order (per layer: weights mu, weights
 * rho, bias mu, bias rho): the values, the gradients of one deterministic step (every layer
 * frozen at its means) and its loss, and the losses of the first training steps.
 */
export interface TrainCheckValues {
  readonly params: readonly Float32Array[];
  readonly grads: readonly Float32Array[];
  readonly loss: number;
  readonly losses: readonly number[];
}

/** One subject's MLP at one hidden width, the batch on its engine, ready to time. */
export interface TrainWorkload {
  /** One training step; resolves when its loss is readable. */
  step(): Promise<void>;
  /** For a subject in another process: times `step` there, as {@link Workload.timeOp}. */
  timeStep?(timing: TimingOptions): Promise<SelfTimed>;
  /** Values for the float64 check, taken before anything is timed (it trains a few steps). */
  checkValues(): Promise<TrainCheckValues>;
  liveTensors(): number | null;
  dispose(): void;
}

/**
 * One subject's CNN training step, the batch on its engine: a {@link TrainWorkload} whose check
 * values hold the CNN's 16 parameters (per layer weights mu, rho, bias mu, rho).
 */
export type CnnWorkload = TrainWorkload;

/** Where a Node subject runs: `cpu` (wasm included), or a GPU API (`--device`). */
export type NodeDevice = 'cpu' | 'webgpu' | 'cuda';
/**
 * Where a subject of the browser runner (`--browser`) runs: a page in headless Chromium, on its
 * JavaScript (`cpu`: backend-cpu, tfjs's cpu engine), WebAssembly (`wasm`: onnxruntime-web,
 * tfjs-wasm), WebGL or WebGPU.
 */
export type BrowserDevice = 'chromium:cpu' | 'chromium:wasm' | 'chromium:webgl' | 'chromium:webgpu';
/** Where a subject runs: a Node device, or a browser's API. */
export type Device = NodeDevice | BrowserDevice;
/** What `--device` takes: the Node devices (the browser's come with `--browser`). */
export const DEVICES: readonly NodeDevice[] = ['cpu', 'webgpu', 'cuda'];

/** The parameters every subject uses, so that every row computes the same thing. */
export interface GaussianSetup {
  readonly muInit: number;
  readonly rhoInit: number;
  readonly prior: Prior;
  readonly seed: number;
}

/** The float32 values a check needs: parameters, a fixed `x`, its logProb and a fresh sample. */
export interface CheckValues {
  readonly mu: Float32Array;
  readonly rho: Float32Array;
  readonly x: Float32Array;
  readonly logProb: number;
  readonly sample: Float32Array;
}

/** What a subject that times itself in another process reports. */
export interface SelfTimed {
  /** Milliseconds per call of each timed sample. */
  readonly perCall: number[];
  /** Calls per sample. */
  readonly batch: number;
  /** Peak resident set size of that process, MiB (the bench's own would say nothing of it). */
  readonly peakRssMiB: number;
}

/** One subject at one size: parameters made, ready to time. */
export interface Workload {
  /** The operations it implements; each resolves when its result is readable. */
  readonly ops: Partial<Record<Operation, () => Promise<void>>>;
  /**
   * For a subject in another process: times `op` there, by the same rules, and returns the
   * milliseconds per call of each timed sample (its `ops` then only say which it implements).
   */
  timeOp?(op: Operation, timing: TimingOptions): Promise<SelfTimed>;
  /** Values for the float64 check, taken before anything is timed. */
  checkValues(): Promise<CheckValues>;
  /** Live tensors of its engine, where the engine counts them (else null). */
  liveTensors(): number | null;
  dispose(): void;
}

/** A subject opened on one device. */
export interface Session {
  /** What it runs on, in words (engine, version, backend, threads). */
  readonly engine: string;
  workload(size: number, setup: GaussianSetup): Promise<Workload>;
  /** The training step's workload at `hidden` units, where the subject can train (else absent). */
  trainWorkload?(
    hidden: number,
    setup: TrainSetup,
    gaussian: GaussianSetup,
  ): Promise<TrainWorkload>;
  /** The CNN's training step, where the subject can train it (else absent: `n/a`). */
  cnnWorkload?(setup: CnnSetup, gaussian: GaussianSetup): Promise<CnnWorkload>;
  /**
   * The conv2d step on `shape` with the inputs of `convData(shape, seed)`, where the subject can
   * convolve (else absent: `n/a`).
   */
  convWorkload?(shape: ConvShape, seed: number): Promise<ConvWorkload>;
  close(): Promise<void> | void;
}

/** Something the bench measures: an illia-ts backend, or a ceiling that does the same math. */
export interface Subject {
  /** Shown in tables: an illia backend name (`cpu`, `tfjs-wasm`) or a ceiling (`ceiling:js`). */
  readonly id: string;
  readonly role: 'backend' | 'ceiling';
  /** For a backend: the id of the ceiling it is compared with. */
  readonly ceiling?: string;
  /** For a backend: another ceiling for some operations (the cpu backend's conv2d: wasm SIMD). */
  readonly opCeilings?: Partial<Readonly<Record<Operation, string>>>;
  /**
   * The only operations it has anything to say about, where that is known before it opens: the
   * runner skips it when none of them is asked for (absent: it runs, and shows `n/a`).
   */
  readonly ops?: readonly Operation[];
  /** Opens it on `device`; throws (with the reason) when it cannot run there. */
  open(device: Device): Promise<Session>;
}

/** Thrown by {@link Subject.open} when a subject cannot run on a device or is not installed. */
export class Unavailable extends Error {
  override readonly name = 'Unavailable';
}
