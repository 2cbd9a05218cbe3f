/**
 * `x − logsumexp(x)` along the last axis: ONNX LogSoftmax-13 normalises that axis alone. ONNX
 * Runtime 1.30's webgpu provider has no LogSoftmax (it ran on the CPU, with the copies there and
 * back), so the portable form (GPU providers) writes it out: `d − log Σ exp(d)` with d = x − max,
 * on the portable exp and log.
 */
import { attr } from '../graph/graph-builder.js';
import { emitExpOf, emitLogOf } from './elementwise.js';
import { fixed } from './kernel.js';

export const logSoftmax = fixed({
  signature: 'logSoftmax',
  emit: (g, [x]) => {
    if (!g.portable) return g.op('LogSoftmax', [x as string], [attr.int('axis', -1)]);
    const last = g.int64s([-1]);
    const keep = [attr.int('keepdims', 1)];
    const d = g.op('Sub', [x as string, g.op('ReduceMax', [x as string, last], keep)]);
    const total = g.op('ReduceSum', [emitExpOf(g, d), last], keep);
    return g.op('Sub', [d, emitLogOf(g, total)]);
  },
});
