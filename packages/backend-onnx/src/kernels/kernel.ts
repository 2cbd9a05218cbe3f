/** The shape of this backend's kernels: each records an op into the lazy graph, none runs one. */
import type { KernelOutput } from '@illia-ts/core';
import type { LazyOp, LazyTensor } from '../graph/lazy-tensor.js';

/**
 * One kernel: from the inputs (lazy nodes), the op's normalised attributes and the output's shape
 * and dtype (core computed them), the op that the new pending node records. It runs when a read
 * needs it, inside one graph with the pending tensors linked to it.
 */
// biome-ignore lint/suspicious/noExplicitAny: a table of kernels with different attribute types
export type OnnxKernel<A = any> = (
  inputs: readonly LazyTensor[],
  attrs: A,
  output: KernelOutput,
) => LazyOp;

/** A kernel whose op depends on nothing but the input shapes (which key the session already). */
export const fixed =
  (op: LazyOp): OnnxKernel =>
  () =>
    op;
