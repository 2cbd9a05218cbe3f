/** `x − logsumexp(x)` along the last axis: ONNX LogSoftmax-13 normalises that axis alone. */
import { attr } from '../graph/graph-builder.js';
import { fixed } from './kernel.js';

export const logSoftmax = fixed({
  signature: 'logSoftmax',
  emit: (g, [x]) => g.op('LogSoftmax', [x as string], [attr.int('axis', -1)]),
});
