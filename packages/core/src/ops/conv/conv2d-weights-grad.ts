import { formatShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, type RefTensor } from '../define.js';
import { conv2d } from './conv2d.js';
import { conv2dInputGrad } from './conv2d-input-grad.js';
import {
  type Conv2dAttrs,
  conv2dAttrs,
  conv2dShape,
  convTerms,
  forEachConvTerm,
} from './geometry.js';

/** What the conv2dWeightsGrad kernel gets: conv2d's attributes and the shape of the weights. */
export interface Conv2dWeightsGradAttrs extends Conv2dAttrs {
  readonly weightsShape: readonly [number, number, number, number];
}

const CONV2D_WEIGHTS_GRAD = defineOp<Conv2dWeightsGradAttrs>({
  name: 'conv2dWeightsGrad',
  family: 'conv',
  summary: "conv2d's gradient with respect to the weights (x correlated with dy)",
  inputs: [
    { name: 'x', dtype: 'float32' },
    { name: 'dy', dtype: 'float32' },
  ],
  attrs: (options) => {
    const o = (options ?? {}) as { weightsShape?: unknown };
    const s = o.weightsShape;
    if (
      !(Array.isArray(s) && s.length === 4 && s.every((d) => Number.isSafeInteger(d) && d >= 1))
    ) {
      throw new RangeError(
        `conv2dWeightsGrad: weightsShape must be 4 positive integers, got ${describe(s)}`,
      );
    }
    return {
      ...conv2dAttrs('conv2dWeightsGrad', options),
      weightsShape: s as [number, number, number, number],
    };
  },
  output: ([x, dy], a) => {
    const expected = conv2dShape(
      'conv2dWeightsGrad',
      (x as Tensor).shape,
      a.weightsShape,
      a,
      'x',
      'weightsShape',
    );
    const got = (dy as Tensor).shape;
    if (got.length !== 4 || got.some((d, i) => d !== expected[i])) {
      throw new RangeError(
        `conv2dWeightsGrad: dy must have conv2d's output shape ${formatShape(expected)}, got ${formatShape(got)}`,
      );
    }
    return { shape: a.weightsShape, dtype: 'float32' };
  },
  gradient: ({ inputs: [x, dy], attrs, dy: g, needs: [needX, needDy] }) => [
    needX ? conv2dInputGrad(dy as Tensor, g as Tensor, (x as Tensor).shape, attrs) : null,
    needDy ? conv2d(x as Tensor, g as Tensor, attrs) : null,
  ],
  reference: ([x, dy], a) => {
    const xt = x as RefTensor;
    const d = dy as RefTensor;
    const out = new Float64Array(a.weightsShape.reduce((p, q) => p * q, 1));
    forEachConvTerm(xt.shape, a.weightsShape, a, (xi, wi, yi) => {
      out[wi] = (out[wi] as number) + (xt.values[xi] as number) * (d.values[yi] as number);
    });
    return out;
  },
  tolerance: {
    roundings: ([x], a) => convTerms(x?.shape ?? [], a.weightsShape, a),
    scale: 'abs-inputs',
  },
  cases: [
    {
      name: 'of 3×3, stride 2, padding 1',
      inputs: [{ shape: [2, 2, 7, 6] }, { shape: [2, 3, 4, 3] }],
      options: { stride: 2, padding: 1, weightsShape: [3, 2, 3, 3] },
    },
    {
      name: 'of groups 2, dilation 2',
      inputs: [{ shape: [1, 2, 5, 5] }, { shape: [1, 4, 3, 3] }],
      options: { groups: 2, dilation: 2, weightsShape: [4, 1, 2, 2] },
    },
  ],
  errors: [
    {
      name: 'dy of the wrong shape',
      inputs: [{ shape: [1, 1, 5, 5] }, { shape: [1, 1, 2, 2] }],
      options: { weightsShape: [1, 1, 3, 3] },
      throws:
        /conv2dWeightsGrad: dy must have conv2d's output shape \[1, 1, 3, 3\], got \[1, 1, 2, 2\]/,
    },
  ],
});

/** The gradient of `conv2d(x, weights, options)` with respect to weights of `weightsShape`. */
export function conv2dWeightsGrad(
  x: Tensor,
  dy: Tensor,
  weightsShape: readonly number[],
  attrs: Conv2dAttrs,
): Tensor {
  return CONV2D_WEIGHTS_GRAD.run([x, dy], { ...attrs, weightsShape }) as Tensor;
}
