/**
 * The elementwise kernels (the loops are in `maps.ts`): one factory for the ops of one operand and
 * one for the broadcasting ops of two, each split between threads when large.
 */
import { sizeOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import { type BinaryOp, binaryLayout, type UnaryOp } from './maps.js';

/** The kernel of an elementwise op of one float32 tensor. */
export function unary(op: UnaryOp): CpuKernel {
  return (ctx, [x]) => {
    const values = floats(x!);
    const out = ctx.float32(values.length);
    ctx.runBlocks({ kind: 'unary', op, x: values, out }, values.length);
    return ctx.wrap(out, x!.shape);
  };
}

/**
 * The kernel of a broadcasting op of two float32 tensors (`maps.ts`: same shapes, a scalar and a
 * bias run loops of their own that every broadcast reduces to).
 */
export function binary(op: BinaryOp): CpuKernel {
  return (ctx, [a, b], _attrs, { shape }) => {
    const n = sizeOf(shape);
    const out = ctx.float32(n);
    const layout = binaryLayout(a!.shape, b!.shape, shape);
    let av = floats(a!);
    let bv = floats(b!);
    if (ctx.splits(n, 2)) {
      // Workers see only shared memory: a small operand (a scalar, a bias) goes there first.
      av = ctx.operand(av, 0);
      bv = ctx.operand(bv, 1);
    }
    ctx.runBlocks({ kind: 'binary', op, a: av, b: bv, out, layout }, n);
    return ctx.wrap(out, shape);
  };
}
