import { formatShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, type RefTensor } from '../define.js';
import { conv2d } from './conv2d.js';
import { conv2dWeightsGrad } from './conv2d-weights-grad.js';
import {
  type Conv2dAttrs,
  conv2dAttrs,
  conv2dShape,
  convTerms,
  forEachConvTerm,
} from './geometry.js';

/** What the conv2dInputGrad kernel gets: conv2d's attributes and the shape of x. */
export interface Conv2dInputGradAttrs extends Conv2dAttrs {
  readonly inputShape: readonly [number, number, number, number];
}

/** Checks that `dy` is what conv2d of `inputShape` with `w` gives; returns nothing. */
function checkDy(where: string, dy: readonly number[], expected: readonly number[]): void {
  if (dy.length !== 4 || dy.some((d, i) => d !== expected[i])) {
    throw new RangeError(
      `${where}: dy must have conv2d's output shape ${formatShape(expected)}, got ${formatShape(dy)}`,
    );
  }
}

const CONV2D_INPUT_GRAD = defineOp<Conv2dInputGradAttrs>({
  name: 'conv2dInputGrad',
  family: 'conv',
  summary: "conv2d's gradient with respect to x (a transposed convolution of dy)",
  inputs: [
    { name: 'dy', dtype: 'float32' },
    { name: 'weights', dtype: 'float32' },
  ],
  attrs: (options) => {
    const o = (options ?? {}) as { inputShape?: unknown };
    const s = o.inputShape;
    if (
      !(Array.isArray(s) && s.length === 4 && s.every((d) => Number.isSafeInteger(d) && d >= 1))
    ) {
      throw new RangeError(
        `conv2dInputGrad: inputShape must be 4 positive integers, got ${describe(s)}`,
      );
    }
    return {
      ...conv2dAttrs('conv2dInputGrad', options),
      inputShape: s as [number, number, number, number],
    };
  },
  output: ([dy, w], a) => {
    checkDy(
      'conv2dInputGrad',
      (dy as Tensor).shape,
      conv2dShape('conv2dInputGrad', a.inputShape, (w as Tensor).shape, a, 'inputShape'),
    );
    return { shape: a.inputShape, dtype: 'float32' };
  },
  gradient: ({ inputs: [dy, w], attrs, dy: g, needs: [needDy, needW] }) => [
    needDy ? conv2d(g as Tensor, w as Tensor, attrs) : null,
    needW ? conv2dWeightsGrad(g as Tensor, dy as Tensor, (w as Tensor).shape, attrs) : null,
  ],
  reference: ([dy, w], a) => {
    const d = dy as RefTensor;
    const wt = w as RefTensor;
    const out = new Float64Array(a.inputShape.reduce((p, q) => p * q, 1));
    forEachConvTerm(a.inputShape, wt.shape, a, (xi, wi, yi) => {
      out[xi] = (out[xi] as number) + (d.values[yi] as number) * (wt.values[wi] as number);
    });
    return out;
  },
  tolerance: {
    roundings: ([, w], a) => convTerms(a.inputShape, w?.shape ?? [], a),
    scale: 'abs-inputs',
  },
  cases: [
    {
      name: 'of 3×3, stride 2, padding 1',
      inputs: [{ shape: [2, 3, 4, 3] }, { shape: [3, 2, 3, 3] }],
      options: { stride: 2, padding: 1, inputShape: [2, 2, 7, 6] },
    },
    {
      name: 'of groups 2, dilation 2',
      inputs: [{ shape: [1, 4, 3, 3] }, { shape: [4, 1, 2, 2] }],
      options: { groups: 2, dilation: 2, inputShape: [1, 2, 5, 5] },
    },
  ],
  errors: [
    {
      name: 'dy of the wrong shape',
      inputs: [{ shape: [1, 1, 2, 2] }, { shape: [1, 1, 3, 3] }],
      options: { inputShape: [1, 1, 5, 5] },
      throws:
        /conv2dInputGrad: dy must have conv2d's output shape \[1, 1, 3, 3\], got \[1, 1, 2, 2\]/,
    },
  ],
});

/** The gradient of `conv2d(x, weights, options)` with respect to x, where x has `inputShape`. */
export function conv2dInputGrad(
  dy: Tensor,
  weights: Tensor,
  inputShape: readonly number[],
  attrs: Conv2dAttrs,
): Tensor {
  return CONV2D_INPUT_GRAD.run([dy, weights], { ...attrs, inputShape }) as Tensor;
}
