import { GaussianDistribution, type GaussianDistributionOptions } from '../gaussian.js';
import { type Pair, pairOf, positiveInt } from '../ops/conv/geometry.js';
import { add, conv1d, conv2d, reshape } from '../ops/index.js';
import { type Generator, toGenerator } from '../random.js';
import { formatShape } from '../shape.js';
import { Tensor, tidy } from '../tensor.js';
import { checkOptions, describe } from '../validate.js';
import { BayesianLayer } from './bayesian-layer.js';

/** Options of {@link Conv1d} and {@link Conv2d}: a pair is height then width (Conv2d only). */
export interface ConvOptions<P> {
  /** Step between windows. Default 1. */
  stride?: P;
  /** Zeros added on each side. Default 0. */
  padding?: P;
  /** Spacing of the kernel's taps. Default 1. */
  dilation?: P;
  /** Channel groups: each output channel sees `inputChannels / groups` inputs. Default 1. */
  groups?: number;
  /** Whether there is a bias. Default true. */
  useBias?: boolean;
  /** Prior and initialisation of the weights. */
  weightsDistribution?: Omit<GaussianDistributionOptions, 'rng'>;
  /** Prior and initialisation of the bias (an `[outputChannels]` Gaussian). */
  biasDistribution?: Omit<GaussianDistributionOptions, 'rng'>;
  /** A seed or `rng(seed)` for initialisation and sampling. Default: the global generator. */
  rng?: Generator | number;
}

/** Options of {@link Conv1d}. */
export type Conv1dOptions = ConvOptions<number>;
/** Options of {@link Conv2d}. */
export type Conv2dOptions = ConvOptions<number | Pair>;

function checkChannels(where: string, arg: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) {
    throw new (typeof value === 'number' ? RangeError : TypeError)(
      `${where}: ${arg} must be a positive integer, got ${describe(value)}`,
    );
  }
  return value;
}

function checkGroups(where: string, groups: number, input: number, output: number): void {
  if (input % groups !== 0 || output % groups !== 0) {
    throw new RangeError(
      `${where}: groups (${groups}) must divide inputChannels (${input}) and outputChannels (${output})`,
    );
  }
}

/** The spatial sizes of `x` after its channels, checked to fit the kernel. */
function checkInput(
  where: string,
  x: unknown,
  layout: string,
  channels: number,
  kernel: readonly number[],
  padding: readonly number[],
  dilation: readonly number[],
): Tensor {
  if (!(x instanceof Tensor))
    throw new TypeError(`${where}: x must be a Tensor, got ${describe(x)}`);
  if (x.dtype !== 'float32') {
    throw new TypeError(`${where}: x must be a float32 tensor, got ${x.dtype}`);
  }
  const rank = 2 + kernel.length;
  if (x.shape.length !== rank || x.shape[1] !== channels) {
    throw new RangeError(
      `${where}: x must have shape [batch, ${channels}, ${layout}] (${channels} input channels), got ${formatShape(x.shape)}`,
    );
  }
  const sizes = x.shape.slice(2);
  const span = kernel.map((k, d) => (dilation[d] as number) * (k - 1) + 1);
  if (sizes.some((s, d) => s + 2 * (padding[d] as number) < (span[d] as number))) {
    throw new RangeError(
      `${where}: the kernel (${kernel.join('×')}, dilation ${dilation.join('×')}, spanning ${span.join('×')}) is larger than x ${formatShape(x.shape)} padded by ${padding.join('×')}`,
    );
  }
  return x as Tensor;
}

/**
 * A Bayesian 1-D convolution (illia's `Conv1d`, PyTorch's `F.conv1d`): input
 * `[batch, inputChannels, length]`, weights `[outputChannels, inputChannels / groups, kernelSize]`
 * and bias `[outputChannels]`, drawn from learnable Gaussians once per forward pass.
 */
export class Conv1d extends BayesianLayer {
  protected get where(): string {
    return 'Conv1d';
  }
  readonly inputChannels: number;
  readonly outputChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;
  readonly weights: GaussianDistribution;
  readonly bias: GaussianDistribution | null;

  constructor(
    inputChannels: number,
    outputChannels: number,
    kernelSize: number,
    options: Conv1dOptions = {},
  ) {
    checkOptions('Conv1d', options);
    super();
    const where = 'Conv1d';
    this.inputChannels = checkChannels(where, 'inputChannels', inputChannels);
    this.outputChannels = checkChannels(where, 'outputChannels', outputChannels);
    this.kernelSize = checkChannels(where, 'kernelSize', kernelSize);
    this.stride = positiveInt(where, 'stride', options.stride, 1);
    const padding = options.padding ?? 0;
    if (!(typeof padding === 'number' && Number.isSafeInteger(padding) && padding >= 0)) {
      throw new RangeError(`${where}: padding must be an integer ≥ 0, got ${describe(padding)}`);
    }
    this.padding = padding;
    this.dilation = positiveInt(where, 'dilation', options.dilation, 1);
    this.groups = positiveInt(where, 'groups', options.groups, 1);
    checkGroups(where, this.groups, inputChannels, outputChannels);
    const rng = toGenerator(where, 'rng', options.rng);
    this.weights = new GaussianDistribution(
      [outputChannels, inputChannels / this.groups, kernelSize],
      { ...options.weightsDistribution, rng },
    );
    this.bias =
      options.useBias === false
        ? null
        : new GaussianDistribution([outputChannels], { ...options.biasDistribution, rng });
    this.declareWeights(
      this.bias
        ? [
            ['weights', this.weights],
            ['bias', this.bias],
          ]
        : [['weights', this.weights]],
    );
  }

  /**
   * The weights and bias a frozen pass uses, else the last pass's (illia's `weights` and `bias`
   * buffers, for state dicts); null before the first pass. Read them; do not dispose them.
   */
  heldSample(): { weights: Tensor; bias: Tensor | null } | null {
    const held = this.heldDraw();
    return held ? { weights: held.weights as Tensor, bias: held.bias ?? null } : null;
  }

  /** Makes `weights` and `bias` the held sample (illia's buffers, from a state dict), consuming them. */
  setHeldSample(weights: Tensor, bias: Tensor | null): void {
    if (!this.bias && bias !== null) {
      throw new TypeError(`${this.where}.setHeldSample: bias must be null: the layer has none`);
    }
    this.setHeldDraw(bias ? { weights, bias } : { weights });
  }

  /** `[batch, inputChannels, length]` → `[batch, outputChannels, outLength]`. */
  forward(x: Tensor): Tensor {
    checkInput(
      'Conv1d.forward',
      x,
      'length',
      this.inputChannels,
      [this.kernelSize],
      [this.padding],
      [this.dilation],
    );
    const { weights, bias } = this.drawWeights();
    return tidy(() => {
      const y = conv1d(x, weights as Tensor, {
        stride: this.stride,
        padding: this.padding,
        dilation: this.dilation,
        groups: this.groups,
      });
      return bias ? add(y, reshape(bias, [this.outputChannels, 1])) : y;
    });
  }
}

/**
 * A Bayesian 2-D convolution (illia's `Conv2d`, PyTorch's `F.conv2d`): input
 * `[batch, inputChannels, height, width]`, weights
 * `[outputChannels, inputChannels / groups, kernelHeight, kernelWidth]` and bias
 * `[outputChannels]`, drawn from learnable Gaussians once per forward pass. Unlike illia's PyTorch
 * layer, it honours `stride` and adds the bias once.
 */
export class Conv2d extends BayesianLayer {
  protected get where(): string {
    return 'Conv2d';
  }
  readonly inputChannels: number;
  readonly outputChannels: number;
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;
  readonly weights: GaussianDistribution;
  readonly bias: GaussianDistribution | null;

  constructor(
    inputChannels: number,
    outputChannels: number,
    kernelSize: number | Pair,
    options: Conv2dOptions = {},
  ) {
    checkOptions('Conv2d', options);
    super();
    const where = 'Conv2d';
    this.inputChannels = checkChannels(where, 'inputChannels', inputChannels);
    this.outputChannels = checkChannels(where, 'outputChannels', outputChannels);
    if (kernelSize === undefined) {
      throw new TypeError(
        `${where}: kernelSize must be an integer ≥ 1 or a pair of them, got undefined`,
      );
    }
    this.kernelSize = pairOf(where, 'kernelSize', kernelSize, 1, 1);
    this.stride = pairOf(where, 'stride', options.stride, 1, 1);
    this.padding = pairOf(where, 'padding', options.padding, 0, 0);
    this.dilation = pairOf(where, 'dilation', options.dilation, 1, 1);
    this.groups = positiveInt(where, 'groups', options.groups, 1);
    checkGroups(where, this.groups, inputChannels, outputChannels);
    const rng = toGenerator(where, 'rng', options.rng);
    this.weights = new GaussianDistribution(
      [outputChannels, inputChannels / this.groups, ...this.kernelSize],
      { ...options.weightsDistribution, rng },
    );
    this.bias =
      options.useBias === false
        ? null
        : new GaussianDistribution([outputChannels], { ...options.biasDistribution, rng });
    this.declareWeights(
      this.bias
        ? [
            ['weights', this.weights],
            ['bias', this.bias],
          ]
        : [['weights', this.weights]],
    );
  }

  /**
   * The weights and bias a frozen pass uses, else the last pass's (illia's `weights` and `bias`
   * buffers, for state dicts); null before the first pass. Read them; do not dispose them.
   */
  heldSample(): { weights: Tensor; bias: Tensor | null } | null {
    const held = this.heldDraw();
    return held ? { weights: held.weights as Tensor, bias: held.bias ?? null } : null;
  }

  /** Makes `weights` and `bias` the held sample (illia's buffers, from a state dict), consuming them. */
  setHeldSample(weights: Tensor, bias: Tensor | null): void {
    if (!this.bias && bias !== null) {
      throw new TypeError(`${this.where}.setHeldSample: bias must be null: the layer has none`);
    }
    this.setHeldDraw(bias ? { weights, bias } : { weights });
  }

  /** `[batch, inputChannels, height, width]` → `[batch, outputChannels, outHeight, outWidth]`. */
  forward(x: Tensor): Tensor {
    checkInput(
      'Conv2d.forward',
      x,
      'height, width',
      this.inputChannels,
      this.kernelSize,
      this.padding,
      this.dilation,
    );
    const { weights, bias } = this.drawWeights();
    return tidy(() => {
      const y = conv2d(x, weights as Tensor, {
        stride: this.stride,
        padding: this.padding,
        dilation: this.dilation,
        groups: this.groups,
      });
      return bias ? add(y, reshape(bias, [this.outputChannels, 1, 1])) : y;
    });
  }
}
