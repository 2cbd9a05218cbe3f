/** The same values in the node's own shape (float32 or int32): ONNX Reshape. */
import { fixed } from './kernel.js';

export const reshape = fixed({
  signature: 'reshape',
  emit: (g, [x], _params, shape) => g.op('Reshape', [x as string, g.int64s(shape)]),
});
