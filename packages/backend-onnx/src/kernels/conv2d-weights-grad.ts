/**
 * conv2d's gradient with respect to the weights. ONNX has no op for it, but it is itself a
 * convolution with the batch and channel axes swapped:
 *
 *   dW[o, c, p, q] = Σ_{n, i, j} x[n, c, i·s − pad + p·d, …] · dy[n, o, i, j]
 *
 * is Conv(x', dy') with x' = x as [C, N, H, W] (N the channels) and dy' = dy as [O, N, Ho, Wo]
 * (the kernel), stride and dilation swapped, the same padding: its output [C, O, ≥kh, ≥kw] is cut
 * to the kernel's size and transposed to [O, C, kh, kw]. With groups, group k's channels go to
 * channels k·N … k·N + N − 1 of x' (x as [C/g, g·N, H, W]) and Conv's group attribute pairs them
 * with group k's outputs, so no group sees another's: the output is [C/g, O, kh, kw].
 */
import { type Conv2dWeightsGradAttrs, sizeOf } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import { convKey, convWork } from './conv2d.js';
import type { OnnxKernel } from './kernel.js';

export const conv2dWeightsGrad: OnnxKernel<Conv2dWeightsGradAttrs> = ([x, dy], a) => {
  const [n, c, h, w] = (x?.shape ?? []) as [number, number, number, number];
  const [, , ho, wo] = (dy?.shape ?? []) as [number, number, number, number];
  const [, , kh, kw] = a.weightsShape;
  const groups = a.groups;
  const [ph, pw] = a.padding;
  // Conv(x', dy')'s output size: the kernel's, plus whatever else the padding leaves room for.
  const reach = (size: number, out: number, i: number) =>
    Math.floor(
      (size + 2 * (a.padding[i] as number) - (a.stride[i] as number) * (out - 1) - 1) /
        (a.dilation[i] as number),
    ) + 1;
  const cut = reach(h, ho, 0) !== kh || reach(w, wo, 1) !== kw;
  const attributes = [
    attr.ints('pads', [ph, pw, ph, pw]),
    attr.ints('strides', a.dilation),
    attr.ints('dilations', a.stride),
    attr.int('group', groups),
  ];
  const swap = [attr.ints('perm', [1, 0, 2, 3])];
  return {
    signature: `conv2dWeightsGrad{${convKey(a)}}`,
    work: convWork(sizeOf(dy?.shape ?? []), a.weightsShape),
    emit: (g, [xv, dyv]) => {
      const xt =
        groups === 1
          ? g.op('Transpose', [xv as string], swap)
          : g.op('Reshape', [
              g.op(
                'Transpose',
                [g.op('Reshape', [xv as string, g.int64s([n, groups, c / groups, h, w])])],
                [attr.ints('perm', [2, 1, 0, 3, 4])],
              ),
              g.int64s([c / groups, groups * n, h, w]),
            ]);
      const dyt = g.op('Transpose', [dyv as string], swap);
      let grad = g.op('Conv', [xt, dyt], attributes);
      if (cut) {
        grad = g.op('Slice', [grad, g.int64s([0, 0]), g.int64s([kh, kw]), g.int64s([2, 3])]);
      }
      return g.op('Transpose', [grad], swap);
    },
  };
};
