import { formatShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { defineOp, optionsOf, type RefTensor } from '../define.js';
import { reshape } from '../shape/reshape.js';
import { conv2d, conv2d64 } from './conv2d.js';
import { conv2dInputGrad } from './conv2d-input-grad.js';
import { conv2dWeightsGrad } from './conv2d-weights-grad.js';
import { type Conv2dAttrs, conv2dShape, convTerms, positiveInt } from './geometry.js';

/** What a conv1d kernel gets: stride, zero padding on each side, dilation, groups. */
export interface Conv1dAttrs {
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;
}

/** The options of `conv1d`. */
export interface Conv1dOptions {
  readonly stride?: number;
  readonly padding?: number;
  readonly dilation?: number;
  readonly groups?: number;
}

/** conv1d's attributes as conv2d's over a height of 1. */
export function as2d(a: Conv1dAttrs): Conv2dAttrs {
  return {
    stride: [1, a.stride],
    padding: [0, a.padding],
    dilation: [1, a.dilation],
    groups: a.groups,
  };
}

const with1 = (s: readonly number[]) => [s[0] as number, s[1] as number, 1, s[2] as number];

function check3d(where: string, x: readonly number[], w: readonly number[]): void {
  if (x.length !== 3)
    throw new RangeError(
      `${where}: x must be 3-D [batch, channels, length], got ${formatShape(x)}`,
    );
  if (w.length !== 3)
    throw new RangeError(
      `${where}: weights must be 3-D [out, in/groups, kernel], got ${formatShape(w)}`,
    );
}

const CONV1D = defineOp<Conv1dAttrs>({
  name: 'conv1d',
  family: 'conv',
  summary:
    'cross-correlation of NCW x with weights [out, in/groups, k]; composed from conv2d where a backend has no kernel',
  inputs: [
    { name: 'x', dtype: 'float32' },
    { name: 'weights', dtype: 'float32' },
  ],
  attrs: (options) => {
    const o = optionsOf<Conv1dOptions>('conv1d', options);
    const padding = o.padding === undefined ? 0 : o.padding;
    if (!(typeof padding === 'number' && Number.isSafeInteger(padding) && padding >= 0)) {
      throw new RangeError(`conv1d: padding must be an integer ≥ 0, got ${String(o.padding)}`);
    }
    return {
      stride: positiveInt('conv1d', 'stride', o.stride, 1),
      padding,
      dilation: positiveInt('conv1d', 'dilation', o.dilation, 1),
      groups: positiveInt('conv1d', 'groups', o.groups, 1),
    };
  },
  output: ([x, w], a) => {
    const xs = (x as Tensor).shape;
    const ws = (w as Tensor).shape;
    check3d('conv1d', xs, ws);
    if ((ws[1] as number) * a.groups !== xs[1]) {
      throw new RangeError(
        `conv1d: weights ${formatShape(ws)} take ${ws[1]} channels per group, but x ${formatShape(xs)} has ${xs[1]} channels in ${a.groups} group${a.groups === 1 ? '' : 's'}`,
      );
    }
    const [n, o, , l] = conv2dShape('conv1d', with1(xs), with1(ws), as2d(a));
    return { shape: [n, o, l], dtype: 'float32' };
  },
  fallback: ([x, w], a) => {
    const tx = x as Tensor;
    const tw = w as Tensor;
    const y = conv2d(reshape(tx, with1(tx.shape)), reshape(tw, with1(tw.shape)), as2d(a));
    return reshape(y, [y.shape[0] as number, y.shape[1] as number, y.shape[3] as number]);
  },
  gradient: ({ inputs: [x, w], attrs, dy, needs: [needX, needW] }) => {
    const tx = x as Tensor;
    const tw = w as Tensor;
    const d = dy as Tensor;
    const dy4 = reshape(d, with1(d.shape));
    const a = as2d(attrs);
    return [
      needX
        ? reshape(conv2dInputGrad(dy4, reshape(tw, with1(tw.shape)), with1(tx.shape), a), tx.shape)
        : null,
      needW
        ? reshape(
            conv2dWeightsGrad(reshape(tx, with1(tx.shape)), dy4, with1(tw.shape), a),
            tw.shape,
          )
        : null,
    ];
  },
  reference: ([x, w], a) => {
    const rx = x as RefTensor;
    const rw = w as RefTensor;
    return conv2d64({ ...rx, shape: with1(rx.shape) }, { ...rw, shape: with1(rw.shape) }, as2d(a));
  },
  tolerance: {
    roundings: ([x, w], a) => convTerms(with1(x?.shape ?? []), with1(w?.shape ?? []), as2d(a)),
    scale: 'abs-inputs',
  },
  cases: [
    { name: 'k 3 on [2, 3, 10]', inputs: [{ shape: [2, 3, 10] }, { shape: [4, 3, 3] }] },
    {
      name: 'stride 2, padding 2, dilation 2, groups 3',
      inputs: [{ shape: [2, 6, 11] }, { shape: [3, 2, 3] }],
      options: { stride: 2, padding: 2, dilation: 2, groups: 3 },
    },
  ],
  errors: [
    {
      name: 'x not 3-D',
      inputs: [{ shape: [2, 3] }, { shape: [4, 3, 3] }],
      throws: /conv1d: x must be 3-D \[batch, channels, length\], got \[2, 3\]/,
    },
    {
      name: 'channels differ',
      inputs: [{ shape: [1, 3, 8] }, { shape: [2, 2, 3] }],
      throws:
        /conv1d: weights \[2, 2, 3\] take 2 channels per group, but x \[1, 3, 8\] has 3 channels in 1 group/,
    },
  ],
});

/**
 * 1-D cross-correlation (PyTorch's `F.conv1d`) of `x` [batch, inChannels, length] with `weights`
 * [outChannels, inChannels/groups, kernel].
 */
export function conv1d(x: Tensor, weights: Tensor, options: Conv1dOptions = {}): Tensor {
  return CONV1D.run([x, weights], options) as Tensor;
}
