/**
 * conv2d's gradient with respect to x: ONNX ConvTranspose of dy with the same weights (their
 * layout [out, in/groups, kh, kw] is ConvTranspose's [in, out/groups, kh, kw]) and geometry.
 * `output_padding` adds the rows and columns of x that no window reached (a stride that does not
 * divide evenly), so the result has exactly x's shape.
 *
 * ONNX Runtime 1.30's webgpu ConvTranspose is wrong (0.3 off, not rounding) when groups > 1 and
 * each group has one output channel but several input channels (conv2d with groups 2 from 2 to 4
 * channels; found by the conformance suite on SwiftShader, checked against the cpu provider over
 * groups, channels, stride, dilation and padding). The portable form (GPU providers) then gives
 * each group a second, zero output channel (weights padded on axis 1) and keeps every other
 * output channel: the same sums, by a path that provider gets right.
 */
import { type Conv2dInputGradAttrs, sizeOf } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import { convAttributes, convKey, convWork } from './conv2d.js';
import type { OnnxKernel } from './kernel.js';

export const conv2dInputGrad: OnnxKernel<Conv2dInputGradAttrs> = ([dy, w], a) => {
  const dyShape = dy?.shape ?? [];
  const wShape = w?.shape ?? [];
  // ConvTranspose makes stride·(in − 1) + dilation·(k − 1) + 1 − 2·pad + output_padding.
  const outputPadding = [0, 1].map((i) => {
    const reached =
      (a.stride[i] as number) * ((dyShape[2 + i] as number) - 1) +
      (a.dilation[i] as number) * ((wShape[2 + i] as number) - 1) +
      1 -
      2 * (a.padding[i] as number);
    return (a.inputShape[2 + i] as number) - reached;
  });
  const attributes = [...convAttributes(a), attr.ints('output_padding', outputPadding)];
  return {
    signature: `conv2dInputGrad{${convKey(a)},o${outputPadding.join('x')}}`,
    work: convWork(sizeOf(dyShape), wShape),
    emit: (g, [d, weights]) => {
      if (!(g.portable && a.groups > 1 && wShape[1] === 1 && (wShape[0] as number) > a.groups)) {
        return g.op('ConvTranspose', [d as string, weights as string], attributes);
      }
      const padded = g.op('Pad', [weights as string, g.int64s([0, 0, 0, 0, 0, 1, 0, 0])]);
      const both = g.op('ConvTranspose', [d as string, padded], attributes);
      return g.op('Slice', [
        both,
        g.int64s([0]),
        g.int64s([2 * a.groups]),
        g.int64s([1]),
        g.int64s([2]),
      ]);
    },
  };
};
