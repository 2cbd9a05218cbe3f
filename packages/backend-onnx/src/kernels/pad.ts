/** Zeros before and after along each axis (float32 or int32): ONNX Pad, constant mode. */
import type { PadAttrs } from '@illia-ts/core';
import type { OnnxKernel } from './kernel.js';

export const pad: OnnxKernel<PadAttrs> = (_inputs, { paddings }) => {
  // ONNX's pads: every axis's start, then every axis's end. No constant: zero of x's type.
  const pads = [...paddings.map(([before]) => before), ...paddings.map(([, after]) => after)];
  return {
    signature: `pad{${pads.join(',')}}`,
    emit: (g, [x]) =>
      pads.length === 0
        ? g.op('Identity', [x as string])
        : g.op('Pad', [x as string, g.int64s(pads)]),
  };
};
