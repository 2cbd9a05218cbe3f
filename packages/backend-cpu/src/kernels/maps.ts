/**
 * Elementwise kernels, computed in float64 and stored in float32, with a loop of their own per
 * op: a function value shared by every op makes its call site megamorphic, and V8 then inlines
 * none of them (5–10 ns per element, against about 1 here).
 *
 * The cheap ops' loops (arithmetic, comparisons, `maximum`, `neg`, `abs`, `sqrt`, `square`,
 * `relu`) take 8 elements per iteration, then the rest one by one: V8 (Node 20) neither unrolls
 * nor vectorises a typed-array loop, and its per-iteration overhead (the bound check, the
 * increment, the branch) was most of the cost. Each element is still `op` of its own operands,
 * written once: the same bits as the one-by-one loop. Measured on 590k float32 values, one
 * thread, through the kernel table, side by side: a same-shape `mul` 2.31 → 1.16 ns per element,
 * a scalar `mul` 2.06 → 1.14 (0.93 with the aligned loop below), a channel bias `add` 1.95 → 1.19
 * (1.00), `relu` 2.23 → 1.45. Functions of `fast-math.ts` and
 * Math's transcendentals cost more than the loop and keep the plain one.
 *
 * A binary op sees its output as runs of contiguous elements (see {@link binaryLayout}): within a
 * run each operand either advances with the output or repeats one value. Three loops cover every
 * run, with no index arithmetic inside beyond an offset: both operands advance (a bias row), or
 * one of them is one value (a scalar, a column). Same shapes and a scalar are one run over the
 * whole output (same shapes without even the offset, for the arithmetic ops), a bias is one run
 * per row, and every other broadcast is one run along the output's last axis after merging axes
 * that need no index arithmetic. Where an operand has the output's shape (a scalar, a channel
 * bias or a bias row applied to it) its offset is 0 in every run, and loops without that offset
 * take the run (`aligned…` below).
 */
import { broadcastShapes } from '@illia-ts/core';
import { logSoftplus, sigmoid, softplus, tanh } from './fast-math.js';

/** The elementwise ops of one operand. */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'square'
  | 'abs'
  | 'softplus'
  | 'logSoftplus'
  | 'relu'
  | 'sigmoid'
  | 'tanh';

/** Writes `op(x[i])` to `out[i]` for `i` in `[start, end)`. */
export function unaryRange(
  op: UnaryOp,
  x: Float32Array,
  out: Float32Array,
  start: number,
  end: number,
): void {
  switch (op) {
    case 'neg': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = -(x[i] as number);
        out[i + 1] = -(x[i + 1] as number);
        out[i + 2] = -(x[i + 2] as number);
        out[i + 3] = -(x[i + 3] as number);
        out[i + 4] = -(x[i + 4] as number);
        out[i + 5] = -(x[i + 5] as number);
        out[i + 6] = -(x[i + 6] as number);
        out[i + 7] = -(x[i + 7] as number);
      }
      for (; i < end; i++) out[i] = -(x[i] as number);
      return;
    }
    case 'exp':
      for (let i = start; i < end; i++) out[i] = Math.exp(x[i] as number);
      return;
    case 'log':
      for (let i = start; i < end; i++) out[i] = Math.log(x[i] as number);
      return;
    case 'log1p':
      for (let i = start; i < end; i++) out[i] = Math.log1p(x[i] as number);
      return;
    case 'sqrt': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = Math.sqrt(x[i] as number);
        out[i + 1] = Math.sqrt(x[i + 1] as number);
        out[i + 2] = Math.sqrt(x[i + 2] as number);
        out[i + 3] = Math.sqrt(x[i + 3] as number);
        out[i + 4] = Math.sqrt(x[i + 4] as number);
        out[i + 5] = Math.sqrt(x[i + 5] as number);
        out[i + 6] = Math.sqrt(x[i + 6] as number);
        out[i + 7] = Math.sqrt(x[i + 7] as number);
      }
      for (; i < end; i++) out[i] = Math.sqrt(x[i] as number);
      return;
    }
    case 'square': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        {
          const v = x[i] as number;
          out[i] = v * v;
        }
        {
          const v = x[i + 1] as number;
          out[i + 1] = v * v;
        }
        {
          const v = x[i + 2] as number;
          out[i + 2] = v * v;
        }
        {
          const v = x[i + 3] as number;
          out[i + 3] = v * v;
        }
        {
          const v = x[i + 4] as number;
          out[i + 4] = v * v;
        }
        {
          const v = x[i + 5] as number;
          out[i + 5] = v * v;
        }
        {
          const v = x[i + 6] as number;
          out[i + 6] = v * v;
        }
        {
          const v = x[i + 7] as number;
          out[i + 7] = v * v;
        }
      }
      for (; i < end; i++) {
        const v = x[i] as number;
        out[i] = v * v;
      }
      return;
    }
    case 'abs': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = Math.abs(x[i] as number);
        out[i + 1] = Math.abs(x[i + 1] as number);
        out[i + 2] = Math.abs(x[i + 2] as number);
        out[i + 3] = Math.abs(x[i + 3] as number);
        out[i + 4] = Math.abs(x[i + 4] as number);
        out[i + 5] = Math.abs(x[i + 5] as number);
        out[i + 6] = Math.abs(x[i + 6] as number);
        out[i + 7] = Math.abs(x[i + 7] as number);
      }
      for (; i < end; i++) out[i] = Math.abs(x[i] as number);
      return;
    }
    case 'softplus':
      for (let i = start; i < end; i++) out[i] = softplus(x[i] as number);
      return;
    case 'logSoftplus':
      for (let i = start; i < end; i++) out[i] = logSoftplus(x[i] as number);
      return;
    case 'relu': {
      // Math.max(v, 0) without its branches, which data of both signs mispredicts (3.8 against
      // 0.75 ms on 590k values): (v + |v|)/2 is exact in float64, +0 for v ≤ 0 and NaN for NaN;
      // −∞ alone would give NaN.
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        {
          const v = x[i] as number;
          out[i] = v === Number.NEGATIVE_INFINITY ? 0 : (v + Math.abs(v)) * 0.5;
        }
        {
          const v = x[i + 1] as number;
          out[i + 1] = v === Number.NEGATIVE_INFINITY ? 0 : (v + Math.abs(v)) * 0.5;
        }
        {
          const v = x[i + 2] as number;
          out[i + 2] = v === Number.NEGATIVE_INFINITY ? 0 : (v + Math.abs(v)) * 0.5;
        }
        {
          const v = x[i + 3] as number;
          out[i + 3] = v === Number.NEGATIVE_INFINITY ? 0 : (v + Math.abs(v)) * 0.5;
        }
        {
          const v = x[i + 4] as number;
          out[i + 4] = v === Number.NEGATIVE_INFINITY ? 0 : (v + Math.abs(v)) * 0.5;
        }
        {
          const v = x[i + 5] as number;
          out[i + 5] = v === Number.NEGATIVE_INFINITY ? 0 : (v + Math.abs(v)) * 0.5;
        }
        {
          const v = x[i + 6] as number;
          out[i + 6] = v === Number.NEGATIVE_INFINITY ? 0 : (v + Math.abs(v)) * 0.5;
        }
        {
          const v = x[i + 7] as number;
          out[i + 7] = v === Number.NEGATIVE_INFINITY ? 0 : (v + Math.abs(v)) * 0.5;
        }
      }
      for (; i < end; i++) {
        const v = x[i] as number;
        out[i] = v === Number.NEGATIVE_INFINITY ? 0 : (v + Math.abs(v)) * 0.5;
      }
      return;
    }
    case 'sigmoid':
      for (let i = start; i < end; i++) out[i] = sigmoid(x[i] as number);
      return;
    case 'tanh':
      for (let i = start; i < end; i++) out[i] = tanh(x[i] as number);
      return;
  }
}

/**
 * The elementwise ops of two broadcast operands; `maximum` is `Math.max`'s (NaN if either is, 0
 * over −0), as tfjs's.
 */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'greater' | 'less';

/**
 * How two operands map onto their broadcast output, seen as `runs` of `run` contiguous output
 * elements. Run `r` has coordinates `(c₀, c₁, …)` over the axes `outer` (outermost first); it
 * starts in `a` at `Σ cᵢ·aOuter[i]` and advances by `aStep` (1, or 0 where one value repeats)
 * along the run; likewise `b`. Plain numbers and arrays, so it travels to the workers.
 */
export interface BinaryLayout {
  /** Elements per run (at least 1). */
  readonly run: number;
  /** The sizes of the axes that runs are laid along, outermost first. */
  readonly outer: readonly number[];
  readonly aOuter: readonly number[];
  readonly bOuter: readonly number[];
  readonly aStep: 0 | 1;
  readonly bStep: 0 | 1;
}

/** The shape `a` and `b` broadcast to; core has checked that they do. */
export function binaryShape(aShape: readonly number[], bShape: readonly number[]): number[] {
  const shape = broadcastShapes(aShape, bShape);
  if (shape === null) throw new RangeError('binaryShape: shapes do not broadcast');
  return shape;
}

/**
 * The layout of operands of `aShape` and `bShape` over their broadcast `shape`: the output's axes
 * of size 1 dropped, and neighbouring axes merged wherever each operand is, across both, either
 * contiguous or one repeated value. Same shapes and a scalar leave one axis (one run over the
 * whole output); a bias `[n]` or `[1, n]` on `[m, n]` leaves `[m, n]` (one run per row).
 */
export function binaryLayout(
  aShape: readonly number[],
  bShape: readonly number[],
  shape: readonly number[],
): BinaryLayout {
  const aStrides = broadcastStrides(aShape, shape);
  const bStrides = broadcastStrides(bShape, shape);
  const sizes: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const sa = aStrides[d] as number;
    const sb = bStrides[d] as number;
    const last = sizes.length - 1;
    // Axis d continues the previous axis where, for each operand, stepping the previous axis by
    // one is stepping d by its size (true of a contiguous operand and of a repeated one).
    if (last >= 0 && as[last] === sa * size && bs[last] === sb * size) {
      sizes[last] = (sizes[last] as number) * size;
      as[last] = sa;
      bs[last] = sb;
    } else {
      sizes.push(size);
      as.push(sa);
      bs.push(sb);
    }
  });
  // After merging, the innermost axis of an operand that is not repeated along it has stride 1.
  const run = sizes.pop() ?? 1;
  const aStep = (as.pop() ?? 0) === 0 ? 0 : 1;
  const bStep = (bs.pop() ?? 0) === 0 ? 0 : 1;
  return { run: Math.max(run, 1), outer: sizes, aOuter: as, bOuter: bs, aStep, bStep };
}

/** Row-major strides of `xShape` seen as `shape` (aligned at the end): 0 along broadcast axes. */
function broadcastStrides(xShape: readonly number[], shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(0);
  let stride = 1;
  for (let d = xShape.length - 1; d >= 0; d--) {
    const size = xShape[d] as number;
    if (size !== 1) strides[shape.length - xShape.length + d] = stride;
    stride *= size;
  }
  return strides;
}

/** Writes `a op b` to `out[o]` for `o` in `[start, end)`, `a` and `b` placed by `layout`. */
export function binaryRange(
  op: BinaryOp,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  layout: BinaryLayout,
  start: number,
  end: number,
): void {
  const { run, outer, aOuter, bOuter, aStep, bStep } = layout;
  const same = outer.length === 0 && aStep === 1 && bStep === 1;
  if (same && sameShapeRange(op, a, b, out, start, end)) return;
  let r = Math.floor(start / run);
  let inRun = start - r * run;
  for (let o = start; o < end; r++, inRun = 0) {
    const len = Math.min(end - o, run - inRun);
    let ia = inRun * aStep;
    let ib = inRun * bStep;
    let rest = r;
    for (let d = outer.length - 1; d >= 0 && rest > 0; d--) {
      const size = outer[d] as number;
      const c = rest % size;
      rest = (rest - c) / size;
      ia += c * (aOuter[d] as number);
      ib += c * (bOuter[d] as number);
    }
    if (aStep === 1) {
      if (bStep === 1) binaryRun(op, a, ia, b, ib, out, o, len);
      else binaryRunScalarB(op, a, ia, b[ib] as number, out, o, len);
    } else if (bStep === 1) {
      binaryRunScalarA(op, a[ia] as number, b, ib, out, o, len);
    } else {
      binaryRunScalarB(op, a, ia, b[ib] as number, out, o, 1);
      out.fill(out[o] as number, o + 1, o + len);
    }
    o += len;
  }
}

/**
 * `out[i] = a[i] op b[i]` for `i` in `[start, end)`, for operands of the output's shape: no offset
 * to add (1.13 against 1.27 ns per element). Covers the arithmetic ops; false for the others,
 * which take the run loops. (With a scalar, the same kind of loop measured slower than the run
 * loop's, 1.19 against 0.95 ns, so a scalar keeps that.)
 */
function sameShapeRange(
  op: BinaryOp,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  start: number,
  end: number,
): boolean {
  switch (op) {
    case 'add': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) + (b[i] as number);
        out[i + 1] = (a[i + 1] as number) + (b[i + 1] as number);
        out[i + 2] = (a[i + 2] as number) + (b[i + 2] as number);
        out[i + 3] = (a[i + 3] as number) + (b[i + 3] as number);
        out[i + 4] = (a[i + 4] as number) + (b[i + 4] as number);
        out[i + 5] = (a[i + 5] as number) + (b[i + 5] as number);
        out[i + 6] = (a[i + 6] as number) + (b[i + 6] as number);
        out[i + 7] = (a[i + 7] as number) + (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = (a[i] as number) + (b[i] as number);
      return true;
    }
    case 'sub': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) - (b[i] as number);
        out[i + 1] = (a[i + 1] as number) - (b[i + 1] as number);
        out[i + 2] = (a[i + 2] as number) - (b[i + 2] as number);
        out[i + 3] = (a[i + 3] as number) - (b[i + 3] as number);
        out[i + 4] = (a[i + 4] as number) - (b[i + 4] as number);
        out[i + 5] = (a[i + 5] as number) - (b[i + 5] as number);
        out[i + 6] = (a[i + 6] as number) - (b[i + 6] as number);
        out[i + 7] = (a[i + 7] as number) - (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = (a[i] as number) - (b[i] as number);
      return true;
    }
    case 'mul': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) * (b[i] as number);
        out[i + 1] = (a[i + 1] as number) * (b[i + 1] as number);
        out[i + 2] = (a[i + 2] as number) * (b[i + 2] as number);
        out[i + 3] = (a[i + 3] as number) * (b[i + 3] as number);
        out[i + 4] = (a[i + 4] as number) * (b[i + 4] as number);
        out[i + 5] = (a[i + 5] as number) * (b[i + 5] as number);
        out[i + 6] = (a[i + 6] as number) * (b[i + 6] as number);
        out[i + 7] = (a[i + 7] as number) * (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = (a[i] as number) * (b[i] as number);
      return true;
    }
    case 'div': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) / (b[i] as number);
        out[i + 1] = (a[i + 1] as number) / (b[i + 1] as number);
        out[i + 2] = (a[i + 2] as number) / (b[i + 2] as number);
        out[i + 3] = (a[i + 3] as number) / (b[i + 3] as number);
        out[i + 4] = (a[i + 4] as number) / (b[i + 4] as number);
        out[i + 5] = (a[i + 5] as number) / (b[i + 5] as number);
        out[i + 6] = (a[i + 6] as number) / (b[i + 6] as number);
        out[i + 7] = (a[i + 7] as number) / (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = (a[i] as number) / (b[i] as number);
      return true;
    }
    default:
      return false;
  }
}

/** `out[o + t] = a[ia + t] op b[ib + t]` for `t < len`. */
function binaryRun(
  op: BinaryOp,
  a: Float32Array,
  ia: number,
  b: Float32Array,
  ib: number,
  out: Float32Array,
  o: number,
  len: number,
): void {
  const da = ia - o;
  const db = ib - o;
  const end = o + len;
  if (
    da === 0
      ? alignedRunA(op, a, b, db, out, o, end)
      : db === 0 && alignedRunB(op, a, b, da, out, o, end)
  ) {
    return;
  }
  switch (op) {
    case 'add': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + da] as number) + (b[i + db] as number);
        out[i + 1] = (a[i + 1 + da] as number) + (b[i + 1 + db] as number);
        out[i + 2] = (a[i + 2 + da] as number) + (b[i + 2 + db] as number);
        out[i + 3] = (a[i + 3 + da] as number) + (b[i + 3 + db] as number);
        out[i + 4] = (a[i + 4 + da] as number) + (b[i + 4 + db] as number);
        out[i + 5] = (a[i + 5 + da] as number) + (b[i + 5 + db] as number);
        out[i + 6] = (a[i + 6 + da] as number) + (b[i + 6 + db] as number);
        out[i + 7] = (a[i + 7 + da] as number) + (b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = (a[i + da] as number) + (b[i + db] as number);
      return;
    }
    case 'sub': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + da] as number) - (b[i + db] as number);
        out[i + 1] = (a[i + 1 + da] as number) - (b[i + 1 + db] as number);
        out[i + 2] = (a[i + 2 + da] as number) - (b[i + 2 + db] as number);
        out[i + 3] = (a[i + 3 + da] as number) - (b[i + 3 + db] as number);
        out[i + 4] = (a[i + 4 + da] as number) - (b[i + 4 + db] as number);
        out[i + 5] = (a[i + 5 + da] as number) - (b[i + 5 + db] as number);
        out[i + 6] = (a[i + 6 + da] as number) - (b[i + 6 + db] as number);
        out[i + 7] = (a[i + 7 + da] as number) - (b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = (a[i + da] as number) - (b[i + db] as number);
      return;
    }
    case 'mul': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + da] as number) * (b[i + db] as number);
        out[i + 1] = (a[i + 1 + da] as number) * (b[i + 1 + db] as number);
        out[i + 2] = (a[i + 2 + da] as number) * (b[i + 2 + db] as number);
        out[i + 3] = (a[i + 3 + da] as number) * (b[i + 3 + db] as number);
        out[i + 4] = (a[i + 4 + da] as number) * (b[i + 4 + db] as number);
        out[i + 5] = (a[i + 5 + da] as number) * (b[i + 5 + db] as number);
        out[i + 6] = (a[i + 6 + da] as number) * (b[i + 6 + db] as number);
        out[i + 7] = (a[i + 7 + da] as number) * (b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = (a[i + da] as number) * (b[i + db] as number);
      return;
    }
    case 'div': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + da] as number) / (b[i + db] as number);
        out[i + 1] = (a[i + 1 + da] as number) / (b[i + 1 + db] as number);
        out[i + 2] = (a[i + 2 + da] as number) / (b[i + 2 + db] as number);
        out[i + 3] = (a[i + 3 + da] as number) / (b[i + 3 + db] as number);
        out[i + 4] = (a[i + 4 + da] as number) / (b[i + 4 + db] as number);
        out[i + 5] = (a[i + 5 + da] as number) / (b[i + 5 + db] as number);
        out[i + 6] = (a[i + 6 + da] as number) / (b[i + 6 + db] as number);
        out[i + 7] = (a[i + 7 + da] as number) / (b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = (a[i + da] as number) / (b[i + db] as number);
      return;
    }
    case 'maximum': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = Math.max(a[i + da] as number, b[i + db] as number);
        out[i + 1] = Math.max(a[i + 1 + da] as number, b[i + 1 + db] as number);
        out[i + 2] = Math.max(a[i + 2 + da] as number, b[i + 2 + db] as number);
        out[i + 3] = Math.max(a[i + 3 + da] as number, b[i + 3 + db] as number);
        out[i + 4] = Math.max(a[i + 4 + da] as number, b[i + 4 + db] as number);
        out[i + 5] = Math.max(a[i + 5 + da] as number, b[i + 5 + db] as number);
        out[i + 6] = Math.max(a[i + 6 + da] as number, b[i + 6 + db] as number);
        out[i + 7] = Math.max(a[i + 7 + da] as number, b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = Math.max(a[i + da] as number, b[i + db] as number);
      return;
    }
    case 'greater': {
      // +(p > q), not p > q ? 1 : 0: V8 compiles the ternary to a branch (7× slower on signs).
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = +((a[i + da] as number) > (b[i + db] as number));
        out[i + 1] = +((a[i + 1 + da] as number) > (b[i + 1 + db] as number));
        out[i + 2] = +((a[i + 2 + da] as number) > (b[i + 2 + db] as number));
        out[i + 3] = +((a[i + 3 + da] as number) > (b[i + 3 + db] as number));
        out[i + 4] = +((a[i + 4 + da] as number) > (b[i + 4 + db] as number));
        out[i + 5] = +((a[i + 5 + da] as number) > (b[i + 5 + db] as number));
        out[i + 6] = +((a[i + 6 + da] as number) > (b[i + 6 + db] as number));
        out[i + 7] = +((a[i + 7 + da] as number) > (b[i + 7 + db] as number));
      }
      for (; i < end; i++) out[i] = +((a[i + da] as number) > (b[i + db] as number));
      return;
    }
    case 'less': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = +((a[i + da] as number) < (b[i + db] as number));
        out[i + 1] = +((a[i + 1 + da] as number) < (b[i + 1 + db] as number));
        out[i + 2] = +((a[i + 2 + da] as number) < (b[i + 2 + db] as number));
        out[i + 3] = +((a[i + 3 + da] as number) < (b[i + 3 + db] as number));
        out[i + 4] = +((a[i + 4 + da] as number) < (b[i + 4 + db] as number));
        out[i + 5] = +((a[i + 5 + da] as number) < (b[i + 5 + db] as number));
        out[i + 6] = +((a[i + 6 + da] as number) < (b[i + 6 + db] as number));
        out[i + 7] = +((a[i + 7 + da] as number) < (b[i + 7 + db] as number));
      }
      for (; i < end; i++) out[i] = +((a[i + da] as number) < (b[i + db] as number));
      return;
    }
  }
}

/** `out[o + t] = a[ia + t] op q` for `t < len`. */
function binaryRunScalarB(
  op: BinaryOp,
  a: Float32Array,
  ia: number,
  q: number,
  out: Float32Array,
  o: number,
  len: number,
): void {
  const da = ia - o;
  const end = o + len;
  if (da === 0 && alignedRunScalarB(op, a, q, out, o, end)) return;
  switch (op) {
    case 'add': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + da] as number) + q;
        out[i + 1] = (a[i + 1 + da] as number) + q;
        out[i + 2] = (a[i + 2 + da] as number) + q;
        out[i + 3] = (a[i + 3 + da] as number) + q;
        out[i + 4] = (a[i + 4 + da] as number) + q;
        out[i + 5] = (a[i + 5 + da] as number) + q;
        out[i + 6] = (a[i + 6 + da] as number) + q;
        out[i + 7] = (a[i + 7 + da] as number) + q;
      }
      for (; i < end; i++) out[i] = (a[i + da] as number) + q;
      return;
    }
    case 'sub': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + da] as number) - q;
        out[i + 1] = (a[i + 1 + da] as number) - q;
        out[i + 2] = (a[i + 2 + da] as number) - q;
        out[i + 3] = (a[i + 3 + da] as number) - q;
        out[i + 4] = (a[i + 4 + da] as number) - q;
        out[i + 5] = (a[i + 5 + da] as number) - q;
        out[i + 6] = (a[i + 6 + da] as number) - q;
        out[i + 7] = (a[i + 7 + da] as number) - q;
      }
      for (; i < end; i++) out[i] = (a[i + da] as number) - q;
      return;
    }
    case 'mul': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + da] as number) * q;
        out[i + 1] = (a[i + 1 + da] as number) * q;
        out[i + 2] = (a[i + 2 + da] as number) * q;
        out[i + 3] = (a[i + 3 + da] as number) * q;
        out[i + 4] = (a[i + 4 + da] as number) * q;
        out[i + 5] = (a[i + 5 + da] as number) * q;
        out[i + 6] = (a[i + 6 + da] as number) * q;
        out[i + 7] = (a[i + 7 + da] as number) * q;
      }
      for (; i < end; i++) out[i] = (a[i + da] as number) * q;
      return;
    }
    case 'div': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + da] as number) / q;
        out[i + 1] = (a[i + 1 + da] as number) / q;
        out[i + 2] = (a[i + 2 + da] as number) / q;
        out[i + 3] = (a[i + 3 + da] as number) / q;
        out[i + 4] = (a[i + 4 + da] as number) / q;
        out[i + 5] = (a[i + 5 + da] as number) / q;
        out[i + 6] = (a[i + 6 + da] as number) / q;
        out[i + 7] = (a[i + 7 + da] as number) / q;
      }
      for (; i < end; i++) out[i] = (a[i + da] as number) / q;
      return;
    }
    case 'maximum': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = Math.max(a[i + da] as number, q);
        out[i + 1] = Math.max(a[i + 1 + da] as number, q);
        out[i + 2] = Math.max(a[i + 2 + da] as number, q);
        out[i + 3] = Math.max(a[i + 3 + da] as number, q);
        out[i + 4] = Math.max(a[i + 4 + da] as number, q);
        out[i + 5] = Math.max(a[i + 5 + da] as number, q);
        out[i + 6] = Math.max(a[i + 6 + da] as number, q);
        out[i + 7] = Math.max(a[i + 7 + da] as number, q);
      }
      for (; i < end; i++) out[i] = Math.max(a[i + da] as number, q);
      return;
    }
    case 'greater': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = +((a[i + da] as number) > q);
        out[i + 1] = +((a[i + 1 + da] as number) > q);
        out[i + 2] = +((a[i + 2 + da] as number) > q);
        out[i + 3] = +((a[i + 3 + da] as number) > q);
        out[i + 4] = +((a[i + 4 + da] as number) > q);
        out[i + 5] = +((a[i + 5 + da] as number) > q);
        out[i + 6] = +((a[i + 6 + da] as number) > q);
        out[i + 7] = +((a[i + 7 + da] as number) > q);
      }
      for (; i < end; i++) out[i] = +((a[i + da] as number) > q);
      return;
    }
    case 'less': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = +((a[i + da] as number) < q);
        out[i + 1] = +((a[i + 1 + da] as number) < q);
        out[i + 2] = +((a[i + 2 + da] as number) < q);
        out[i + 3] = +((a[i + 3 + da] as number) < q);
        out[i + 4] = +((a[i + 4 + da] as number) < q);
        out[i + 5] = +((a[i + 5 + da] as number) < q);
        out[i + 6] = +((a[i + 6 + da] as number) < q);
        out[i + 7] = +((a[i + 7 + da] as number) < q);
      }
      for (; i < end; i++) out[i] = +((a[i + da] as number) < q);
      return;
    }
  }
}

/** `out[o + t] = p op b[ib + t]` for `t < len`. */
function binaryRunScalarA(
  op: BinaryOp,
  p: number,
  b: Float32Array,
  ib: number,
  out: Float32Array,
  o: number,
  len: number,
): void {
  const db = ib - o;
  const end = o + len;
  if (db === 0 && alignedRunScalarA(op, p, b, out, o, end)) return;
  switch (op) {
    case 'add': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = p + (b[i + db] as number);
        out[i + 1] = p + (b[i + 1 + db] as number);
        out[i + 2] = p + (b[i + 2 + db] as number);
        out[i + 3] = p + (b[i + 3 + db] as number);
        out[i + 4] = p + (b[i + 4 + db] as number);
        out[i + 5] = p + (b[i + 5 + db] as number);
        out[i + 6] = p + (b[i + 6 + db] as number);
        out[i + 7] = p + (b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = p + (b[i + db] as number);
      return;
    }
    case 'sub': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = p - (b[i + db] as number);
        out[i + 1] = p - (b[i + 1 + db] as number);
        out[i + 2] = p - (b[i + 2 + db] as number);
        out[i + 3] = p - (b[i + 3 + db] as number);
        out[i + 4] = p - (b[i + 4 + db] as number);
        out[i + 5] = p - (b[i + 5 + db] as number);
        out[i + 6] = p - (b[i + 6 + db] as number);
        out[i + 7] = p - (b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = p - (b[i + db] as number);
      return;
    }
    case 'mul': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = p * (b[i + db] as number);
        out[i + 1] = p * (b[i + 1 + db] as number);
        out[i + 2] = p * (b[i + 2 + db] as number);
        out[i + 3] = p * (b[i + 3 + db] as number);
        out[i + 4] = p * (b[i + 4 + db] as number);
        out[i + 5] = p * (b[i + 5 + db] as number);
        out[i + 6] = p * (b[i + 6 + db] as number);
        out[i + 7] = p * (b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = p * (b[i + db] as number);
      return;
    }
    case 'div': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = p / (b[i + db] as number);
        out[i + 1] = p / (b[i + 1 + db] as number);
        out[i + 2] = p / (b[i + 2 + db] as number);
        out[i + 3] = p / (b[i + 3 + db] as number);
        out[i + 4] = p / (b[i + 4 + db] as number);
        out[i + 5] = p / (b[i + 5 + db] as number);
        out[i + 6] = p / (b[i + 6 + db] as number);
        out[i + 7] = p / (b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = p / (b[i + db] as number);
      return;
    }
    case 'maximum': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = Math.max(p, b[i + db] as number);
        out[i + 1] = Math.max(p, b[i + 1 + db] as number);
        out[i + 2] = Math.max(p, b[i + 2 + db] as number);
        out[i + 3] = Math.max(p, b[i + 3 + db] as number);
        out[i + 4] = Math.max(p, b[i + 4 + db] as number);
        out[i + 5] = Math.max(p, b[i + 5 + db] as number);
        out[i + 6] = Math.max(p, b[i + 6 + db] as number);
        out[i + 7] = Math.max(p, b[i + 7 + db] as number);
      }
      for (; i < end; i++) out[i] = Math.max(p, b[i + db] as number);
      return;
    }
    case 'greater': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = +(p > (b[i + db] as number));
        out[i + 1] = +(p > (b[i + 1 + db] as number));
        out[i + 2] = +(p > (b[i + 2 + db] as number));
        out[i + 3] = +(p > (b[i + 3 + db] as number));
        out[i + 4] = +(p > (b[i + 4 + db] as number));
        out[i + 5] = +(p > (b[i + 5 + db] as number));
        out[i + 6] = +(p > (b[i + 6 + db] as number));
        out[i + 7] = +(p > (b[i + 7 + db] as number));
      }
      for (; i < end; i++) out[i] = +(p > (b[i + db] as number));
      return;
    }
    case 'less': {
      let i = o;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = +(p < (b[i + db] as number));
        out[i + 1] = +(p < (b[i + 1 + db] as number));
        out[i + 2] = +(p < (b[i + 2 + db] as number));
        out[i + 3] = +(p < (b[i + 3 + db] as number));
        out[i + 4] = +(p < (b[i + 4 + db] as number));
        out[i + 5] = +(p < (b[i + 5 + db] as number));
        out[i + 6] = +(p < (b[i + 6 + db] as number));
        out[i + 7] = +(p < (b[i + 7 + db] as number));
      }
      for (; i < end; i++) out[i] = +(p < (b[i + db] as number));
      return;
    }
  }
}

/**
 * `out[i] = a[i] op q` for `i` in `[start, end)`: {@link binaryRunScalarB}'s loop where `a` is
 * aligned with the output (it has the output's shape: a scalar or a channel bias added to it), with
 * no offset to add (0.91 against 1.11 ns per element). The arithmetic ops and `greater` (ReLU's
 * gradient); false for the others.
 */
function alignedRunScalarB(
  op: BinaryOp,
  a: Float32Array,
  q: number,
  out: Float32Array,
  start: number,
  end: number,
): boolean {
  switch (op) {
    case 'add': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) + q;
        out[i + 1] = (a[i + 1] as number) + q;
        out[i + 2] = (a[i + 2] as number) + q;
        out[i + 3] = (a[i + 3] as number) + q;
        out[i + 4] = (a[i + 4] as number) + q;
        out[i + 5] = (a[i + 5] as number) + q;
        out[i + 6] = (a[i + 6] as number) + q;
        out[i + 7] = (a[i + 7] as number) + q;
      }
      for (; i < end; i++) out[i] = (a[i] as number) + q;
      return true;
    }
    case 'sub': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) - q;
        out[i + 1] = (a[i + 1] as number) - q;
        out[i + 2] = (a[i + 2] as number) - q;
        out[i + 3] = (a[i + 3] as number) - q;
        out[i + 4] = (a[i + 4] as number) - q;
        out[i + 5] = (a[i + 5] as number) - q;
        out[i + 6] = (a[i + 6] as number) - q;
        out[i + 7] = (a[i + 7] as number) - q;
      }
      for (; i < end; i++) out[i] = (a[i] as number) - q;
      return true;
    }
    case 'mul': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) * q;
        out[i + 1] = (a[i + 1] as number) * q;
        out[i + 2] = (a[i + 2] as number) * q;
        out[i + 3] = (a[i + 3] as number) * q;
        out[i + 4] = (a[i + 4] as number) * q;
        out[i + 5] = (a[i + 5] as number) * q;
        out[i + 6] = (a[i + 6] as number) * q;
        out[i + 7] = (a[i + 7] as number) * q;
      }
      for (; i < end; i++) out[i] = (a[i] as number) * q;
      return true;
    }
    case 'div': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) / q;
        out[i + 1] = (a[i + 1] as number) / q;
        out[i + 2] = (a[i + 2] as number) / q;
        out[i + 3] = (a[i + 3] as number) / q;
        out[i + 4] = (a[i + 4] as number) / q;
        out[i + 5] = (a[i + 5] as number) / q;
        out[i + 6] = (a[i + 6] as number) / q;
        out[i + 7] = (a[i + 7] as number) / q;
      }
      for (; i < end; i++) out[i] = (a[i] as number) / q;
      return true;
    }
    case 'greater': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = +((a[i] as number) > q);
        out[i + 1] = +((a[i + 1] as number) > q);
        out[i + 2] = +((a[i + 2] as number) > q);
        out[i + 3] = +((a[i + 3] as number) > q);
        out[i + 4] = +((a[i + 4] as number) > q);
        out[i + 5] = +((a[i + 5] as number) > q);
        out[i + 6] = +((a[i + 6] as number) > q);
        out[i + 7] = +((a[i + 7] as number) > q);
      }
      for (; i < end; i++) out[i] = +((a[i] as number) > q);
      return true;
    }
    default:
      return false;
  }
}

/**
 * `out[i] = p op b[i]` for `i` in `[start, end)`: {@link alignedRunScalarB} with the scalar first.
 */
function alignedRunScalarA(
  op: BinaryOp,
  p: number,
  b: Float32Array,
  out: Float32Array,
  start: number,
  end: number,
): boolean {
  switch (op) {
    case 'add': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = p + (b[i] as number);
        out[i + 1] = p + (b[i + 1] as number);
        out[i + 2] = p + (b[i + 2] as number);
        out[i + 3] = p + (b[i + 3] as number);
        out[i + 4] = p + (b[i + 4] as number);
        out[i + 5] = p + (b[i + 5] as number);
        out[i + 6] = p + (b[i + 6] as number);
        out[i + 7] = p + (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = p + (b[i] as number);
      return true;
    }
    case 'sub': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = p - (b[i] as number);
        out[i + 1] = p - (b[i + 1] as number);
        out[i + 2] = p - (b[i + 2] as number);
        out[i + 3] = p - (b[i + 3] as number);
        out[i + 4] = p - (b[i + 4] as number);
        out[i + 5] = p - (b[i + 5] as number);
        out[i + 6] = p - (b[i + 6] as number);
        out[i + 7] = p - (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = p - (b[i] as number);
      return true;
    }
    case 'mul': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = p * (b[i] as number);
        out[i + 1] = p * (b[i + 1] as number);
        out[i + 2] = p * (b[i + 2] as number);
        out[i + 3] = p * (b[i + 3] as number);
        out[i + 4] = p * (b[i + 4] as number);
        out[i + 5] = p * (b[i + 5] as number);
        out[i + 6] = p * (b[i + 6] as number);
        out[i + 7] = p * (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = p * (b[i] as number);
      return true;
    }
    case 'div': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = p / (b[i] as number);
        out[i + 1] = p / (b[i + 1] as number);
        out[i + 2] = p / (b[i + 2] as number);
        out[i + 3] = p / (b[i + 3] as number);
        out[i + 4] = p / (b[i + 4] as number);
        out[i + 5] = p / (b[i + 5] as number);
        out[i + 6] = p / (b[i + 6] as number);
        out[i + 7] = p / (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = p / (b[i] as number);
      return true;
    }
    case 'greater': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = +(p > (b[i] as number));
        out[i + 1] = +(p > (b[i + 1] as number));
        out[i + 2] = +(p > (b[i + 2] as number));
        out[i + 3] = +(p > (b[i + 3] as number));
        out[i + 4] = +(p > (b[i + 4] as number));
        out[i + 5] = +(p > (b[i + 5] as number));
        out[i + 6] = +(p > (b[i + 6] as number));
        out[i + 7] = +(p > (b[i + 7] as number));
      }
      for (; i < end; i++) out[i] = +(p > (b[i] as number));
      return true;
    }
    default:
      return false;
  }
}

/**
 * `out[i] = a[i] op b[i + d]` for `i` in `[start, end)`: {@link binaryRun}'s loop where `a` is aligned
 * with the output (a bias row added to it), one offset fewer. The arithmetic ops; false for the
 * others.
 */
function alignedRunA(
  op: BinaryOp,
  a: Float32Array,
  b: Float32Array,
  d: number,
  out: Float32Array,
  start: number,
  end: number,
): boolean {
  switch (op) {
    case 'add': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) + (b[i + d] as number);
        out[i + 1] = (a[i + 1] as number) + (b[i + 1 + d] as number);
        out[i + 2] = (a[i + 2] as number) + (b[i + 2 + d] as number);
        out[i + 3] = (a[i + 3] as number) + (b[i + 3 + d] as number);
        out[i + 4] = (a[i + 4] as number) + (b[i + 4 + d] as number);
        out[i + 5] = (a[i + 5] as number) + (b[i + 5 + d] as number);
        out[i + 6] = (a[i + 6] as number) + (b[i + 6 + d] as number);
        out[i + 7] = (a[i + 7] as number) + (b[i + 7 + d] as number);
      }
      for (; i < end; i++) out[i] = (a[i] as number) + (b[i + d] as number);
      return true;
    }
    case 'sub': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) - (b[i + d] as number);
        out[i + 1] = (a[i + 1] as number) - (b[i + 1 + d] as number);
        out[i + 2] = (a[i + 2] as number) - (b[i + 2 + d] as number);
        out[i + 3] = (a[i + 3] as number) - (b[i + 3 + d] as number);
        out[i + 4] = (a[i + 4] as number) - (b[i + 4 + d] as number);
        out[i + 5] = (a[i + 5] as number) - (b[i + 5 + d] as number);
        out[i + 6] = (a[i + 6] as number) - (b[i + 6 + d] as number);
        out[i + 7] = (a[i + 7] as number) - (b[i + 7 + d] as number);
      }
      for (; i < end; i++) out[i] = (a[i] as number) - (b[i + d] as number);
      return true;
    }
    case 'mul': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) * (b[i + d] as number);
        out[i + 1] = (a[i + 1] as number) * (b[i + 1 + d] as number);
        out[i + 2] = (a[i + 2] as number) * (b[i + 2 + d] as number);
        out[i + 3] = (a[i + 3] as number) * (b[i + 3 + d] as number);
        out[i + 4] = (a[i + 4] as number) * (b[i + 4 + d] as number);
        out[i + 5] = (a[i + 5] as number) * (b[i + 5 + d] as number);
        out[i + 6] = (a[i + 6] as number) * (b[i + 6 + d] as number);
        out[i + 7] = (a[i + 7] as number) * (b[i + 7 + d] as number);
      }
      for (; i < end; i++) out[i] = (a[i] as number) * (b[i + d] as number);
      return true;
    }
    case 'div': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i] as number) / (b[i + d] as number);
        out[i + 1] = (a[i + 1] as number) / (b[i + 1 + d] as number);
        out[i + 2] = (a[i + 2] as number) / (b[i + 2 + d] as number);
        out[i + 3] = (a[i + 3] as number) / (b[i + 3 + d] as number);
        out[i + 4] = (a[i + 4] as number) / (b[i + 4 + d] as number);
        out[i + 5] = (a[i + 5] as number) / (b[i + 5 + d] as number);
        out[i + 6] = (a[i + 6] as number) / (b[i + 6 + d] as number);
        out[i + 7] = (a[i + 7] as number) / (b[i + 7 + d] as number);
      }
      for (; i < end; i++) out[i] = (a[i] as number) / (b[i + d] as number);
      return true;
    }
    default:
      return false;
  }
}

/**
 * `out[i] = a[i + d] op b[i]`: {@link alignedRunA} with `b` aligned with the output.
 */
function alignedRunB(
  op: BinaryOp,
  a: Float32Array,
  b: Float32Array,
  d: number,
  out: Float32Array,
  start: number,
  end: number,
): boolean {
  switch (op) {
    case 'add': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + d] as number) + (b[i] as number);
        out[i + 1] = (a[i + 1 + d] as number) + (b[i + 1] as number);
        out[i + 2] = (a[i + 2 + d] as number) + (b[i + 2] as number);
        out[i + 3] = (a[i + 3 + d] as number) + (b[i + 3] as number);
        out[i + 4] = (a[i + 4 + d] as number) + (b[i + 4] as number);
        out[i + 5] = (a[i + 5 + d] as number) + (b[i + 5] as number);
        out[i + 6] = (a[i + 6 + d] as number) + (b[i + 6] as number);
        out[i + 7] = (a[i + 7 + d] as number) + (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = (a[i + d] as number) + (b[i] as number);
      return true;
    }
    case 'sub': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + d] as number) - (b[i] as number);
        out[i + 1] = (a[i + 1 + d] as number) - (b[i + 1] as number);
        out[i + 2] = (a[i + 2 + d] as number) - (b[i + 2] as number);
        out[i + 3] = (a[i + 3 + d] as number) - (b[i + 3] as number);
        out[i + 4] = (a[i + 4 + d] as number) - (b[i + 4] as number);
        out[i + 5] = (a[i + 5 + d] as number) - (b[i + 5] as number);
        out[i + 6] = (a[i + 6 + d] as number) - (b[i + 6] as number);
        out[i + 7] = (a[i + 7 + d] as number) - (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = (a[i + d] as number) - (b[i] as number);
      return true;
    }
    case 'mul': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + d] as number) * (b[i] as number);
        out[i + 1] = (a[i + 1 + d] as number) * (b[i + 1] as number);
        out[i + 2] = (a[i + 2 + d] as number) * (b[i + 2] as number);
        out[i + 3] = (a[i + 3 + d] as number) * (b[i + 3] as number);
        out[i + 4] = (a[i + 4 + d] as number) * (b[i + 4] as number);
        out[i + 5] = (a[i + 5 + d] as number) * (b[i + 5] as number);
        out[i + 6] = (a[i + 6 + d] as number) * (b[i + 6] as number);
        out[i + 7] = (a[i + 7 + d] as number) * (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = (a[i + d] as number) * (b[i] as number);
      return true;
    }
    case 'div': {
      let i = start;
      for (const end8 = end - 7; i < end8; i += 8) {
        out[i] = (a[i + d] as number) / (b[i] as number);
        out[i + 1] = (a[i + 1 + d] as number) / (b[i + 1] as number);
        out[i + 2] = (a[i + 2 + d] as number) / (b[i + 2] as number);
        out[i + 3] = (a[i + 3 + d] as number) / (b[i + 3] as number);
        out[i + 4] = (a[i + 4 + d] as number) / (b[i + 4] as number);
        out[i + 5] = (a[i + 5 + d] as number) / (b[i + 5] as number);
        out[i + 6] = (a[i + 6 + d] as number) / (b[i + 6] as number);
        out[i + 7] = (a[i + 7 + d] as number) / (b[i + 7] as number);
      }
      for (; i < end; i++) out[i] = (a[i + d] as number) / (b[i] as number);
      return true;
    }
    default:
      return false;
  }
}
