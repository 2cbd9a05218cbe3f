/** Elementwise kernels: unary maps and broadcasting binary maps, computed in float64, stored in float32. */
import { broadcastShapes, stridesOf } from '@illia-ts/core';
import { softplus } from './fast-math.js';

export type UnaryFn = (x: number) => number;

export const UNARY: Readonly<Record<string, UnaryFn>> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  square: (x) => x * x,
  abs: Math.abs,
  softplus,
};

/** Writes `fn(x[i])` to `out[i]` (the same length); returns `out`. */
export function mapUnary(x: Float32Array, fn: UnaryFn, out: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) out[i] = fn(x[i] as number);
  return out;
}

export type BinaryFn = (a: number, b: number) => number;

export const BINARY: Readonly<Record<string, BinaryFn>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  // NaN propagates, as in NumPy and tfjs.
  maximum: (a, b) => (a > b || Number.isNaN(a) ? a : b),
};

/** The shape `a` and `b` broadcast to; core has checked that they do. */
export function binaryShape(aShape: readonly number[], bShape: readonly number[]): number[] {
  const shape = broadcastShapes(aShape, bShape);
  if (shape === null) throw new RangeError('mapBinary: shapes do not broadcast');
  return shape;
}

/**
 * Writes `fn(a, b)` with NumPy broadcasting to `out`, of the broadcast `shape` (from
 * {@link binaryShape}); returns `out`.
 */
export function mapBinary(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  fn: BinaryFn,
  shape: readonly number[],
  out: Float32Array,
): Float32Array {
  if (a.length === out.length && b.length === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = fn(a[i] as number, b[i] as number);
  } else if (b.length === 1) {
    const bv = b[0] as number;
    for (let i = 0; i < out.length; i++) out[i] = fn(a[i % a.length] as number, bv);
  } else if (a.length === 1) {
    const av = a[0] as number;
    for (let i = 0; i < out.length; i++) out[i] = fn(av, b[i % b.length] as number);
  } else {
    const aStrides = broadcastStrides(aShape, shape);
    const bStrides = broadcastStrides(bShape, shape);
    const outStrides = stridesOf(shape);
    for (let i = 0; i < out.length; i++) {
      let rest = i;
      let ia = 0;
      let ib = 0;
      for (let d = 0; d < shape.length; d++) {
        const stride = outStrides[d] as number;
        const coord = Math.floor(rest / stride);
        rest -= coord * stride;
        ia += coord * (aStrides[d] as number);
        ib += coord * (bStrides[d] as number);
      }
      out[i] = fn(a[ia] as number, b[ib] as number);
    }
  }
  return out;
}

/** Strides of `shape` seen as `outShape`: 0 along broadcast dimensions. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, d) => {
    const dim = shape[d - offset];
    return dim === undefined || dim === 1 ? 0 : (own[d - offset] as number);
  });
}
