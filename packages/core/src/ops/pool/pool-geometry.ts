/** Options, output shapes and the float64 window loop of the 2-D pools (NCHW). */
import { formatShape } from '../../shape.js';
import { outSize, type Pair, pairOf } from '../conv/geometry.js';
import { optionsOf } from '../define.js';

/** What the pool kernels get: window, stride, and padding on each side. */
export interface Pool2dAttrs {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
}

/** The options of the pools: a number means the same for height and width. */
export interface Pool2dOptions {
  readonly kernel: number | Pair;
  /** Default: the kernel (windows that do not overlap). */
  readonly stride?: number | Pair;
  readonly padding?: number | Pair;
}

export function pool2dAttrs(where: string, options: unknown): Pool2dAttrs {
  const o = optionsOf<Pool2dOptions>(where, options);
  const kernel = pairOf(where, 'kernel', o.kernel, Number.NaN, 1);
  const stride = o.stride === undefined ? kernel : pairOf(where, 'stride', o.stride, 1, 1);
  const padding = pairOf(where, 'padding', o.padding, 0, 0);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw new RangeError(
      `${where}: padding must be at most half the kernel, got padding ${formatShape(padding)} for kernel ${formatShape(kernel)}`,
    );
  }
  return { kernel, stride, padding };
}

export function pool2dShape(where: string, x: readonly number[], a: Pool2dAttrs): number[] {
  if (x.length !== 4) {
    throw new RangeError(
      `${where}: x must be 4-D [batch, channels, height, width], got ${formatShape(x)}`,
    );
  }
  const [n, c, h, w] = x as [number, number, number, number];
  const ho = outSize(h, a.kernel[0], a.stride[0], a.padding[0], 1);
  const wo = outSize(w, a.kernel[1], a.stride[1], a.padding[1], 1);
  if (ho < 1 || wo < 1) {
    throw new RangeError(
      `${where}: the window (${a.kernel.join('×')}) does not fit x ${formatShape(x)} padded by ${a.padding.join('×')}`,
    );
  }
  return [n, c, ho, wo];
}

/** Calls `each(yi, xis)` for every output element with the flat input indices of its window. */
export function forEachWindow(
  x: readonly number[],
  a: Pool2dAttrs,
  each: (yi: number, xis: number[]) => void,
): void {
  const [n, c, h, w] = x as [number, number, number, number];
  const [, , ho, wo] = pool2dShape('pool', x, a) as [number, number, number, number];
  for (let plane = 0; plane < n * c; plane++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const xis: number[] = [];
        for (let p = 0; p < a.kernel[0]; p++) {
          const hh = i * a.stride[0] - a.padding[0] + p;
          if (hh < 0 || hh >= h) continue;
          for (let q = 0; q < a.kernel[1]; q++) {
            const ww = j * a.stride[1] - a.padding[1] + q;
            if (ww >= 0 && ww < w) xis.push((plane * h + hh) * w + ww);
          }
        }
        each((plane * ho + i) * wo + j, xis);
      }
    }
  }
}

export const POOL_CASES = [
  { name: '2×2 on [2, 3, 6, 6]', inputs: [{ shape: [2, 3, 6, 6] }], options: { kernel: 2 } },
  {
    name: '3×3, stride 2, padding 1',
    inputs: [{ shape: [1, 2, 7, 6] }],
    options: { kernel: 3, stride: 2, padding: 1 },
  },
  {
    name: '[2, 3] window, stride [1, 2]',
    inputs: [{ shape: [2, 1, 5, 7] }],
    options: { kernel: [2, 3], stride: [1, 2] },
  },
];
