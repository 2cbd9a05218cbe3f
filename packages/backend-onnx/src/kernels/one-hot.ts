/** Float32 rows with a 1 at each int32 label: `Cast(Equal(labels[..., None], 0 … depth−1))`. */
import type { OneHotAttrs } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import { DataType } from '../proto/onnx.js';
import type { OnnxKernel } from './kernel.js';

export const oneHot: OnnxKernel<OneHotAttrs> = (_inputs, { depth }) => ({
  signature: `oneHot{${depth}}`,
  emit: (g, [labels]) => {
    // A constant: ORT folds it when it makes the session. Past int32, in int64.
    const wide = depth > 2 ** 31 - 1;
    const classes = wide
      ? g.op('Range', [g.int64(0), g.int64(depth), g.int64(1)])
      : g.op('Range', [g.int32(0), g.int32(depth), g.int32(1)]);
    const values = wide
      ? g.op('Cast', [labels as string], [attr.int('to', DataType.INT64)])
      : (labels as string);
    const column = g.op('Unsqueeze', [values, g.int64s([-1])]);
    const hits = g.op('Equal', [column, classes]);
    return g.op('Cast', [hits], [attr.int('to', DataType.FLOAT)]);
  },
});
