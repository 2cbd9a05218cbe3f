/** Output axis i is input axis `perm[i]` (float32 or int32): ONNX Transpose. */
import type { TransposeAttrs } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import type { OnnxKernel } from './kernel.js';

export const transpose: OnnxKernel<TransposeAttrs> = (_inputs, { perm }) => ({
  signature: `transpose{${perm.join(',')}}`,
  emit: (g, [x]) => g.op('Transpose', [x as string], [attr.ints('perm', perm)]),
});
