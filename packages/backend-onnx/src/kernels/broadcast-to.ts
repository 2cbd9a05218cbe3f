/**
 * x repeated along broadcast axes to a shape: ONNX Expand. A broadcasting op that takes the result
 * (sum's gradient times something of that shape) reads x itself instead (see `binary`), so the
 * repeated tensor is never written.
 */
import type { BroadcastToAttrs } from '@illia-ts/core';
import type { LazyTensor } from '../graph/lazy-tensor.js';
import type { OnnxKernel } from './kernel.js';

const SIGNATURE = 'broadcastTo';

export const broadcastTo: OnnxKernel<BroadcastToAttrs> = (_inputs, { shape }) => ({
  signature: `${SIGNATURE}{${shape.join(',')}}`,
  emit: (g, [x]) => g.op('Expand', [x as string, g.int64s(shape)]),
});

/** What `t` repeats, if it is a pending broadcastTo: the op's input; else null. */
export function broadcastSource(t: LazyTensor): LazyTensor | null {
  const pending = t.pendingOp;
  if (pending === null || !pending.op.signature.startsWith(`${SIGNATURE}{`)) return null;
  return pending.inputs[0] ?? null;
}
