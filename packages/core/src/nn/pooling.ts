import { type Pair, pairOf } from '../ops/conv/geometry.js';
import { avgPool2d, maxPool2d, reshape } from '../ops/index.js';
import { pool2dAttrs } from '../ops/pool/pool-geometry.js';
import { formatShape } from '../shape.js';
import { Tensor, tidy, type Variable } from '../tensor.js';
import { checkOptions, describe } from '../validate.js';
import type { Module } from './module.js';

/** Options of the pooling modules: a number means the same for height and width (2-d). */
export interface PoolOptions<P> {
  /** Step between windows. Default: the kernel size (windows that do not overlap). */
  stride?: P;
  /** Padding on each side (at most half the kernel; it never wins a max, and counts as 0 in a mean). */
  padding?: P;
}

function checkX(where: string, x: unknown, rank: number, layout: string): Tensor {
  if (!(x instanceof Tensor))
    throw new TypeError(`${where}: x must be a Tensor, got ${describe(x)}`);
  if (x.dtype !== 'float32')
    throw new TypeError(`${where}: x must be a float32 tensor, got ${x.dtype}`);
  if (x.shape.length !== rank) {
    throw new RangeError(`${where}: x must have shape [${layout}], got ${formatShape(x.shape)}`);
  }
  return x as Tensor;
}

type Pool2d = typeof maxPool2d;

/** A 2-D pool over `[batch, channels, height, width]`. */
class Pool2dModule implements Module {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly #where: string;
  readonly #pool: Pool2d;

  constructor(
    where: string,
    pool: Pool2d,
    kernelSize: number | Pair,
    options: PoolOptions<number | Pair>,
  ) {
    this.#where = where;
    this.#pool = pool;
    const attrs = pool2dAttrs(where, {
      kernel: pairOf(where, 'kernelSize', kernelSize, Number.NaN, 1),
      stride: options.stride,
      padding: options.padding,
    });
    this.kernelSize = attrs.kernel;
    this.stride = attrs.stride;
    this.padding = attrs.padding;
  }

  forward(x: Tensor): Tensor {
    checkX(`${this.#where}.forward`, x, 4, 'batch, channels, height, width');
    return this.#pool(x, { kernel: this.kernelSize, stride: this.stride, padding: this.padding });
  }

  parameters(): Variable[] {
    return [];
  }

  dispose(): void {}
}

/** A 1-D pool over `[batch, channels, length]`: the 2-D pool over a height of 1. */
class Pool1dModule implements Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly #where: string;
  readonly #pool: Pool2d;

  constructor(where: string, pool: Pool2d, kernelSize: number, options: PoolOptions<number>) {
    this.#where = where;
    this.#pool = pool;
    for (const [arg, v] of [
      ['kernelSize', kernelSize],
      ['stride', options.stride],
      ['padding', options.padding],
    ] as const) {
      if (v !== undefined && typeof v !== 'number') {
        throw new TypeError(`${where}: ${arg} must be an integer, got ${describe(v)}`);
      }
    }
    const attrs = pool2dAttrs(where, {
      kernel: [1, pairOf(where, 'kernelSize', kernelSize, Number.NaN, 1)[0]],
      stride: options.stride === undefined ? undefined : [1, options.stride],
      padding: [0, options.padding ?? 0],
    });
    this.kernelSize = attrs.kernel[1];
    this.stride = attrs.stride[1];
    this.padding = attrs.padding[1];
  }

  forward(x: Tensor): Tensor {
    checkX(`${this.#where}.forward`, x, 3, 'batch, channels, length');
    const [n, c, l] = x.shape as [number, number, number];
    return tidy(() => {
      const y = this.#pool(reshape(x, [n, c, 1, l]), {
        kernel: [1, this.kernelSize],
        stride: [1, this.stride],
        padding: [0, this.padding],
      });
      return reshape(y, [n, c, y.shape[3] as number]);
    });
  }

  parameters(): Variable[] {
    return [];
  }

  dispose(): void {}
}

/** Max over windows of `[batch, channels, height, width]` (PyTorch's `MaxPool2d`). */
export class MaxPool2d extends Pool2dModule {
  constructor(kernelSize: number | Pair, options: PoolOptions<number | Pair> = {}) {
    checkOptions('MaxPool2d', options);
    super('MaxPool2d', maxPool2d, kernelSize, options);
  }
}

/** Mean over windows of `[batch, channels, height, width]`, padding counted as zeros (PyTorch's `AvgPool2d`). */
export class AvgPool2d extends Pool2dModule {
  constructor(kernelSize: number | Pair, options: PoolOptions<number | Pair> = {}) {
    checkOptions('AvgPool2d', options);
    super('AvgPool2d', avgPool2d, kernelSize, options);
  }
}

/** Max over windows of `[batch, channels, length]` (PyTorch's `MaxPool1d`). */
export class MaxPool1d extends Pool1dModule {
  constructor(kernelSize: number, options: PoolOptions<number> = {}) {
    checkOptions('MaxPool1d', options);
    super('MaxPool1d', maxPool2d, kernelSize, options);
  }
}

/** Mean over windows of `[batch, channels, length]`, padding counted as zeros (PyTorch's `AvgPool1d`). */
export class AvgPool1d extends Pool1dModule {
  constructor(kernelSize: number, options: PoolOptions<number> = {}) {
    checkOptions('AvgPool1d', options);
    super('AvgPool1d', avgPool2d, kernelSize, options);
  }
}

/** Options of {@link Flatten}: the axes merged into one (PyTorch's `nn.Flatten`). */
export interface FlattenOptions {
  /** First axis merged. Default 1 (keeps the batch). */
  startDim?: number;
  /** Last axis merged, negative from the end. Default −1. */
  endDim?: number;
}

/** Merges axes `startDim…endDim` into one: `[batch, c, h, w]` → `[batch, c·h·w]` by default. */
export class Flatten implements Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(options: FlattenOptions = {}) {
    checkOptions('Flatten', options);
    const { startDim = 1, endDim = -1 } = options;
    for (const [arg, v] of [
      ['startDim', startDim],
      ['endDim', endDim],
    ] as const) {
      if (!(typeof v === 'number' && Number.isSafeInteger(v))) {
        throw new TypeError(`Flatten: ${arg} must be an integer, got ${describe(v)}`);
      }
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(x: Tensor): Tensor {
    const where = 'Flatten.forward';
    if (!(x instanceof Tensor))
      throw new TypeError(`${where}: x must be a Tensor, got ${describe(x)}`);
    const rank = x.shape.length;
    const start = this.startDim < 0 ? rank + this.startDim : this.startDim;
    const end = this.endDim < 0 ? rank + this.endDim : this.endDim;
    if (!(start >= 0 && end < rank && start <= end)) {
      throw new RangeError(
        `${where}: startDim ${this.startDim} and endDim ${this.endDim} must name axes of x ${formatShape(x.shape)}, start before end`,
      );
    }
    const merged = x.shape.slice(start, end + 1).reduce((p, q) => p * q, 1);
    return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
  }

  parameters(): Variable[] {
    return [];
  }

  dispose(): void {}
}
