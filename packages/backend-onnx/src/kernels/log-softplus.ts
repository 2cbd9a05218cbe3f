/**
 * `log(softplus(x))` (log σ from rho), finite for every finite x: x itself below −17 (where
 * `log softplus(x) = x + log1p(−eˣ/2 + …)` is x to float32 precision), else `Log(softplus(x))`,
 * where softplus(x) ≥ 4e-8 (the Log of those below, 0 under −104, is computed and not picked).
 * The same values as core's composition (which clamps x at −17 first, the same x where it is
 * picked), and the softplus is the same node as that of a sample drawn from the same rho.
 */
import type { GraphBuilder } from '../graph/graph-builder.js';
import { emitLogOf, emitSoftplusOf } from './elementwise.js';
import { fixed } from './kernel.js';

/** Where the form switches (core's `LINEAR_BELOW`). */
const LINEAR_BELOW = -17;

export function emitLogSoftplus(g: GraphBuilder, x: string): string {
  const logSigma = emitLogOf(g, emitSoftplusOf(g, x));
  return g.op('Where', [g.op('Less', [x, g.float(LINEAR_BELOW)]), x, logSigma]);
}

export const logSoftplus = fixed({
  signature: 'logSoftplus',
  emit: (g, [x]) => emitLogSoftplus(g, x as string),
});
