/**
 * `log(softplus(x))` (log σ from rho), finite for every finite x: x itself below −17 (where
 * `log softplus(x) = x + log1p(−eˣ/2 + …)` is x to float32 precision), else ONNX `Log(Softplus(x))`
 * of x clamped there, so no log sees softplus underflow to 0 (below −104). The same values as
 * core's composition.
 */
import type { GraphBuilder } from '../graph/graph-builder.js';
import { emitLogOf, emitSoftplusOf } from './elementwise.js';
import { fixed } from './kernel.js';

/** Where the form switches (core's `LINEAR_BELOW`). */
const LINEAR_BELOW = -17;

export function emitLogSoftplus(g: GraphBuilder, x: string): string {
  const clamped = g.op('Max', [x, g.float(LINEAR_BELOW)]);
  const logSigma = emitLogOf(g, emitSoftplusOf(g, clamped));
  return g.op('Where', [g.op('Less', [x, g.float(LINEAR_BELOW)]), x, logSigma]);
}

export const logSoftplus = fixed({
  signature: 'logSoftplus',
  emit: (g, [x]) => emitLogSoftplus(g, x as string),
});
