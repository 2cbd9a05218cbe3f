/**
 * maxPool2d's gradient: MaxPool's second output gives each window's maximum as a flat index into
 * x (ORT scans a window row by row and keeps the first maximum, as PyTorch does on ties), and
 * ScatterElements with reduction `add` adds each window's dy there, into zeros of x's size.
 */
import type { Pool2dAttrs } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import type { OnnxKernel } from './kernel.js';
import { poolAttributes, poolKey } from './max-pool2d.js';

export const maxPool2dGrad: OnnxKernel<Pool2dAttrs> = ([x, dy], a) => {
  const size = x?.size ?? 0;
  const attributes = poolAttributes(a);
  return {
    signature: `maxPool2dGrad{${poolKey(a)}}`,
    work: (dy?.size ?? 0) * a.kernel[0] * a.kernel[1],
    emit: (g, [xv, dy], _params, shape) => {
      const [, indices] = g.opOutputs('MaxPool', [xv as string], 2, attributes);
      const flat = g.int64s([-1]);
      const sums = g.op(
        'ScatterElements',
        [
          g.op('ConstantOfShape', [g.int64s([size])]),
          g.op('Reshape', [indices as string, flat]),
          g.op('Reshape', [dy as string, flat]),
        ],
        [attr.int('axis', 0), attr.string('reduction', 'add')],
      );
      return g.op('Reshape', [sums, g.int64s(shape)]);
    },
  };
};
