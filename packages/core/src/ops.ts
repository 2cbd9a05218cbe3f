/**
 * Tensor operations. Each checks its arguments, runs one kernel of the backend that holds its
 * inputs, and wraps the result. Creation ops (`randomNormal`) use the current backend.
 */
import type { Backend, BackendTensor, BinaryKernel, UnaryKernel } from './backend.js';
import { backendName, getBackend } from './engine.js';
import type { Generator } from './random.js';
import { toGenerator } from './random.js';
import { broadcastShapes, formatShape } from './shape.js';
import { Tensor } from './tensor.js';
import { checkShape, describe } from './validate.js';

/** Checks that `value` is a live tensor and returns its handle. */
export function handleOf(where: string, arg: string, value: unknown): BackendTensor {
  if (!(value instanceof Tensor)) {
    throw new TypeError(`${where}: ${arg} must be a Tensor, got ${describe(value)}`);
  }
  if (value.isDisposed) {
    throw new Error(
      `${where}: ${arg} (shape ${formatShape(value.shape)}) was used after dispose()`,
    );
  }
  return value.handle(where);
}

/** Checks that every tensor lives on one backend and returns it. */
export function commonBackend(where: string, args: Readonly<Record<string, Tensor>>): Backend {
  let first: [string, Backend] | null = null;
  for (const [arg, t] of Object.entries(args)) {
    if (first === null) first = [arg, t.backend];
    else if (t.backend !== first[1]) {
      throw new TypeError(
        `${where}: ${arg} lives on backend '${backendName(t.backend)}' but ${first[0]} on '${backendName(first[1])}'; make both on one backend`,
      );
    }
  }
  return first?.[1] ?? getBackend();
}

function unary(kernel: UnaryKernel, x: Tensor): Tensor {
  const handle = handleOf(kernel, 'x', x);
  return new Tensor(x.backend[kernel](handle), x.backend);
}

function binary(kernel: BinaryKernel, a: Tensor | number, b: Tensor | number): Tensor {
  // A number operand becomes a scalar on the backend of the tensor operand.
  const backend = a instanceof Tensor ? a.backend : b instanceof Tensor ? b.backend : getBackend();
  const ta = a instanceof Tensor ? a : scalarOn(kernel, 'a', backend, a);
  const tb = b instanceof Tensor ? b : scalarOn(kernel, 'b', backend, b);
  try {
    const ha = handleOf(kernel, 'a', ta);
    const hb = handleOf(kernel, 'b', tb);
    commonBackend(kernel, { a: ta, b: tb });
    if (broadcastShapes(ta.shape, tb.shape) === null) {
      throw new RangeError(
        `${kernel}: shapes ${formatShape(ta.shape)} (a) and ${formatShape(tb.shape)} (b) do not broadcast`,
      );
    }
    return new Tensor(backend[kernel](ha, hb), backend);
  } finally {
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
  }
}

function scalarOn(where: string, arg: string, backend: Backend, value: unknown): Tensor {
  if (typeof value !== 'number') {
    throw new TypeError(`${where}: ${arg} must be a Tensor or a number, got ${describe(value)}`);
  }
  return new Tensor(backend.makeTensor(Float32Array.of(value), []), backend);
}

/** `-x` */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** `e^x` */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary('log', x);
/** `log(1 + x)`, accurate for small x. */
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
/** Square root. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** `x²` */
export const square = (x: Tensor): Tensor => unary('square', x);
/** `|x|` */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** `log(1 + e^x)`, computed stably: finite for every finite x. */
export const softplus = (x: Tensor): Tensor => unary('softplus', x);

/** `a + b`, broadcasting. */
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b);
/** `a − b`, broadcasting. */
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b);
/** `a · b`, broadcasting. */
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b);
/** `a / b`, broadcasting. */
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b);
/** Elementwise maximum, broadcasting. */
export const maximum = (a: Tensor | number, b: Tensor | number): Tensor => binary('maximum', a, b);

/**
 * Sum over `axis` (a number, an array of numbers, negative counting from the end) or over all
 * axes when omitted, dropping the summed axes.
 */
export function sum(x: Tensor, axis?: number | readonly number[]): Tensor {
  const handle = handleOf('sum', 'x', x);
  const rank = x.shape.length;
  const requested = axis === undefined ? null : typeof axis === 'number' ? [axis] : axis;
  if (requested !== null && !Array.isArray(requested)) {
    throw new TypeError(`sum: axis must be a number or an array of numbers, got ${describe(axis)}`);
  }
  const axes = new Set<number>();
  for (const a of requested ?? x.shape.map((_, i) => i)) {
    if (!(Number.isInteger(a) && a >= -rank && a < rank)) {
      throw new RangeError(
        `sum: axis must be integers in [${-rank}, ${rank}) for shape ${formatShape(x.shape)}, got ${describe(axis)}`,
      );
    }
    axes.add(a < 0 ? a + rank : a);
  }
  if (axes.size === 0) {
    // Nothing to sum: a copy, so that the result is a tensor the caller owns.
    return add(x, 0);
  }
  return new Tensor(
    x.backend.sum(
      handle,
      [...axes].sort((p, q) => p - q),
    ),
    x.backend,
  );
}

/**
 * Standard normal draws of `shape` on the current backend, keyed by `generator` (a seed or
 * `rng(seed)`; default the global generator).
 */
export function randomNormal(shape: readonly number[], generator?: Generator | number): Tensor {
  const dims = checkShape('randomNormal', 'shape', shape);
  const key = toGenerator('randomNormal', 'generator', generator).nextKey();
  const backend = getBackend();
  return new Tensor(backend.randomNormal(dims, key), backend);
}
