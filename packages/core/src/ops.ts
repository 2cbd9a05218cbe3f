/**
 * Tensor operations. Each checks its arguments, runs one kernel of the backend that holds its
 * inputs, wraps the result and, inside `valueAndGrad`, records its gradient rule.
 * Creation ops (`tensor`, `randomNormal`, `oneHot`) use the current backend.
 */
import { type Backward, recordOp } from './autodiff.js';
import type {
  Backend,
  BackendTensor,
  BinaryKernel,
  ComparisonKernel,
  TrainingUnaryKernel,
  UnaryKernel,
} from './backend.js';
import { backendName, getBackend } from './engine.js';
import type { Generator } from './random.js';
import { toGenerator } from './random.js';
import { broadcastShapes, formatShape, sameShape, sizeOf } from './shape.js';
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

function wrap(
  handle: BackendTensor,
  backend: Backend,
  inputs: readonly Tensor[],
  backward?: Backward,
): Tensor {
  const out = new Tensor(handle, backend);
  if (backward) recordOp(inputs, out, backward);
  return out;
}

/** Elementwise ops and their gradients, given the input, the output and the output's gradient. */
const UNARY_GRADIENTS: Record<
  UnaryKernel | TrainingUnaryKernel,
  (x: Tensor, y: Tensor, dy: Tensor) => Tensor
> = {
  neg: (_x, _y, dy) => neg(dy),
  exp: (_x, y, dy) => mul(dy, y),
  log: (x, _y, dy) => div(dy, x),
  log1p: (x, _y, dy) => div(dy, add(x, 1)),
  sqrt: (_x, y, dy) => div(dy, mul(y, 2)),
  square: (x, _y, dy) => mul(dy, mul(x, 2)),
  abs: (x, _y, dy) => mul(dy, sub(greater(x, 0), less(x, 0))),
  softplus: (x, _y, dy) => mul(dy, sigmoid(x)),
  relu: (x, _y, dy) => mul(dy, greater(x, 0)),
  sigmoid: (_x, y, dy) => mul(dy, mul(y, sub(1, y))),
  tanh: (_x, y, dy) => mul(dy, sub(1, square(y))),
};

function unary(kernel: UnaryKernel | TrainingUnaryKernel, x: Tensor): Tensor {
  const handle = handleOf(kernel, 'x', x);
  const backend = x.backend;
  const run = backend[kernel].bind(backend);
  const gradient = UNARY_GRADIENTS[kernel];
  const out: Tensor = wrap(run(handle), backend, [x], (dy) => [gradient(x, out, dy)]);
  return out;
}

/** Sums `g` down to `shape`: the gradient of a broadcast. */
function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  g.shape.forEach((dim, d) => {
    if (d < lead || (shape[d - lead] === 1 && dim !== 1)) axes.push(d);
  });
  const summed = axes.length > 0 ? sum(g, axes) : g;
  return sameShape(summed.shape, shape) ? summed : reshape(summed, shape);
}

const BINARY_GRADIENTS: Record<
  BinaryKernel,
  (a: Tensor, b: Tensor, dy: Tensor) => [Tensor | null, Tensor | null]
> = {
  add: (_a, _b, dy) => [dy, dy],
  sub: (_a, _b, dy) => [dy, neg(dy)],
  mul: (a, b, dy) => [mul(dy, b), mul(dy, a)],
  div: (a, b, dy) => [div(dy, b), neg(div(mul(dy, a), square(b)))],
  // Ties send the gradient to a.
  maximum: (a, b, dy) => {
    const toB = less(a, b);
    return [mul(dy, sub(1, toB)), mul(dy, toB)];
  },
};

/** Checks two operands; a number becomes a scalar on the tensor operand's backend. */
function operands(
  where: string,
  a: Tensor | number,
  b: Tensor | number,
): { ta: Tensor; tb: Tensor; backend: Backend } {
  const shapeOf = (v: Tensor | number, arg: string) => {
    if (v instanceof Tensor) {
      handleOf(where, arg, v);
      return v.shape;
    }
    if (typeof v !== 'number') {
      throw new TypeError(`${where}: ${arg} must be a Tensor or a number, got ${describe(v)}`);
    }
    return [];
  };
  const aShape = shapeOf(a, 'a');
  const bShape = shapeOf(b, 'b');
  if (a instanceof Tensor && b instanceof Tensor) commonBackend(where, { a, b });
  if (broadcastShapes(aShape, bShape) === null) {
    throw new RangeError(
      `${where}: shapes ${formatShape(aShape)} (a) and ${formatShape(bShape)} (b) do not broadcast`,
    );
  }
  const backend = a instanceof Tensor ? a.backend : b instanceof Tensor ? b.backend : getBackend();
  const scalar = (v: Tensor | number) =>
    v instanceof Tensor ? v : new Tensor(backend.makeTensor(Float32Array.of(v), []), backend);
  return { ta: scalar(a), tb: scalar(b), backend };
}

function binary(kernel: BinaryKernel, a: Tensor | number, b: Tensor | number): Tensor {
  const { ta, tb, backend } = operands(kernel, a, b);
  try {
    const handle = backend[kernel](ta.handle(), tb.handle());
    return wrap(handle, backend, [ta, tb], (dy, [needA, needB]) => {
      const [ga, gb] = BINARY_GRADIENTS[kernel](ta, tb, dy);
      return [
        needA && ga ? unbroadcast(ga, ta.shape) : null,
        needB && gb ? unbroadcast(gb, tb.shape) : null,
      ];
    });
  } finally {
    disposeScalars([ta, tb], [a, b]);
  }
}

/** Disposes the scalars made from number operands (a recording tape keeps them until done). */
function disposeScalars(made: readonly Tensor[], given: ReadonlyArray<Tensor | number>): void {
  made.forEach((t, i) => {
    if (t !== given[i]) t.dispose();
  });
}

function comparison(kernel: ComparisonKernel, a: Tensor | number, b: Tensor | number): Tensor {
  const { ta, tb, backend } = operands(kernel, a, b);
  try {
    return wrap(backend[kernel](ta.handle(), tb.handle()), backend, [ta, tb]);
  } finally {
    disposeScalars([ta, tb], [a, b]);
  }
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
/** `max(x, 0)` */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** `1 / (1 + e^−x)` */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);

/** `a + b`, broadcasting (a number is a scalar). */
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b);
/** `a − b`, broadcasting. */
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b);
/** `a · b`, broadcasting. */
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b);
/** `a / b`, broadcasting. */
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b);
/** Elementwise maximum, broadcasting. */
export const maximum = (a: Tensor | number, b: Tensor | number): Tensor => binary('maximum', a, b);
/** `a > b` as 1 or 0, broadcasting; no gradient. */
export const greater = (a: Tensor | number, b: Tensor | number): Tensor =>
  comparison('greater', a, b);
/** `a < b` as 1 or 0, broadcasting; no gradient. */
export const less = (a: Tensor | number, b: Tensor | number): Tensor => comparison('less', a, b);

/** Normalises `axis` (a number, numbers, negative from the end, or all when omitted). */
function axesOf(
  where: string,
  shape: readonly number[],
  axis?: number | readonly number[],
): number[] {
  const rank = shape.length;
  const requested = axis === undefined ? null : typeof axis === 'number' ? [axis] : axis;
  if (requested !== null && !Array.isArray(requested)) {
    throw new TypeError(
      `${where}: axis must be a number or an array of numbers, got ${describe(axis)}`,
    );
  }
  const axes = new Set<number>();
  for (const a of requested ?? shape.map((_, i) => i)) {
    if (!(Number.isInteger(a) && a >= -rank && a < rank)) {
      throw new RangeError(
        `${where}: axis must be integers in [${-rank}, ${rank}) for shape ${formatShape(shape)}, got ${describe(axis)}`,
      );
    }
    axes.add(a < 0 ? a + rank : a);
  }
  return [...axes].sort((p, q) => p - q);
}

/**
 * Sum over `axis` (a number, an array of numbers, negative counting from the end) or over all
 * axes when omitted, dropping the summed axes.
 */
export function sum(x: Tensor, axis?: number | readonly number[]): Tensor {
  const handle = handleOf('sum', 'x', x);
  const axes = axesOf('sum', x.shape, axis);
  // Nothing to sum: a copy, so that the result is a tensor the caller owns.
  if (axes.length === 0) return add(x, 0);
  const keptShape = x.shape.map((dim, d) => (axes.includes(d) ? 1 : dim));
  return wrap(x.backend.sum(handle, axes), x.backend, [x], (dy) => [
    broadcastTo(reshape(dy, keptShape), x.shape),
  ]);
}

/** Mean over `axis` (as {@link sum}). */
export function mean(x: Tensor, axis?: number | readonly number[]): Tensor {
  const axes = axesOf('mean', x.shape, axis);
  const count = axes.reduce((n, d) => n * (x.shape[d] as number), 1);
  const total = sum(x, axes);
  const result = mul(total, 1 / count);
  total.dispose();
  return result;
}

/** `x` repeated along broadcast dimensions to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return add(x, 0);
  const ones = new Tensor(
    x.backend.makeTensor(new Float32Array(sizeOf(shape)).fill(1), shape),
    x.backend,
  );
  const result = mul(x, ones);
  ones.dispose();
  return result;
}

/** The same values in another shape of the same size. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const handle = handleOf('reshape', 'x', x);
  const dims = checkShape('reshape', 'shape', shape);
  if (sizeOf(dims) !== x.size) {
    throw new RangeError(
      `reshape: shape ${formatShape(dims)} holds ${sizeOf(dims)} values, but x (shape ${formatShape(x.shape)}) has ${x.size}`,
    );
  }
  return wrap(x.backend.reshape(handle, dims), x.backend, [x], (dy) => [reshape(dy, x.shape)]);
}

/** Permutes the axes (default: reversed). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const handle = handleOf('transpose', 'x', x);
  const rank = x.shape.length;
  const p = perm ?? x.shape.map((_, i) => rank - 1 - i);
  if (
    !(
      Array.isArray(p) &&
      p.length === rank &&
      [...p].sort((a, b) => a - b).every((v, i) => v === i)
    )
  ) {
    throw new RangeError(
      `transpose: perm must be a permutation of 0…${rank - 1}, got ${describe(perm)}`,
    );
  }
  const inverse = new Array<number>(rank);
  p.forEach((axis, i) => {
    inverse[axis] = i;
  });
  return wrap(x.backend.transpose(handle, p), x.backend, [x], (dy) => [transpose(dy, inverse)]);
}

/**
 * The matrix product of 2-D `a` and `b`, each optionally transposed first:
 * `[m, k] · [k, n] → [m, n]`.
 */
export function matMul(
  a: Tensor,
  b: Tensor,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): Tensor {
  const { transposeA = false, transposeB = false } = options;
  const ha = handleOf('matMul', 'a', a);
  const hb = handleOf('matMul', 'b', b);
  const backend = commonBackend('matMul', { a, b });
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new RangeError(
      `matMul: a and b must be 2-D, got ${formatShape(a.shape)} (a) and ${formatShape(b.shape)} (b)`,
    );
  }
  const inner = transposeA ? a.shape[0] : a.shape[1];
  const innerB = transposeB ? b.shape[1] : b.shape[0];
  if (inner !== innerB) {
    throw new RangeError(
      `matMul: inner sizes differ: a ${formatShape(a.shape)}${transposeA ? 'ᵀ' : ''} · b ${formatShape(b.shape)}${transposeB ? 'ᵀ' : ''}`,
    );
  }
  const handle = backend.matMul(ha, hb, transposeA, transposeB);
  return wrap(handle, backend, [a, b], (dy, [needA, needB]) => [
    !needA
      ? null
      : transposeA
        ? matMul(b, dy, { transposeA: transposeB, transposeB: true })
        : matMul(dy, b, { transposeB: !transposeB }),
    !needB
      ? null
      : transposeB
        ? matMul(dy, a, { transposeA: true, transposeB: transposeA })
        : matMul(a, dy, { transposeA: !transposeA }),
  ]);
}

/** `x − logsumexp(x)` along the last axis, computed stably. */
export function logSoftmax(x: Tensor): Tensor {
  const handle = handleOf('logSoftmax', 'x', x);
  if (x.shape.length === 0)
    throw new RangeError('logSoftmax: x must have at least one axis, got a scalar');
  const out: Tensor = wrap(x.backend.logSoftmax(handle), x.backend, [x], (dy) => {
    const keptShape = [...x.shape.slice(0, -1), 1];
    return [sub(dy, mul(exp(out), reshape(sum(dy, -1), keptShape)))];
  });
  return out;
}

/** `log Σ exp(x)` along the last axis (dropped), computed stably. */
export function logSumExp(x: Tensor): Tensor {
  const lsm = logSoftmax(x);
  // logsumexp = x − logSoftmax(x), the same in every position of the axis: take the first.
  const diff = sub(x, lsm);
  const result = mean(diff, -1);
  lsm.dispose();
  diff.dispose();
  return result;
}

/**
 * One-hot rows: `[labels.length, depth]`, 1 at each label. Labels are integers in [0, depth).
 */
export function oneHot(labels: ArrayLike<number>, depth: number): Tensor {
  if (!(Number.isInteger(depth) && depth > 0)) {
    throw new RangeError(`oneHot: depth must be a positive integer, got ${describe(depth)}`);
  }
  const values = new Float32Array(labels.length * depth);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    if (!(Number.isInteger(label) && label >= 0 && label < depth)) {
      throw new RangeError(
        `oneHot: labels[${i}] must be an integer in [0, ${depth}), got ${describe(label)}`,
      );
    }
    values[i * depth + label] = 1;
  }
  const backend = getBackend();
  return new Tensor(backend.makeTensor(values, [labels.length, depth]), backend);
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
