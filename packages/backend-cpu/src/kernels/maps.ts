/**
 * Elementwise kernels with a loop of their own per op, for the shapes training runs: same shapes,
 * a scalar, and a vector repeated along leading axes (a bias). `mapUnary`/`mapBinary` in
 * `elementwise.ts` call the op through a function value; shared by every op, that call site
 * becomes megamorphic and V8 inlines none of them: 5–10 ns per element, where the loops here take
 * about 1 (a training step of a 784-400-10 MLP runs about 40 of them over 3·10⁵ elements).
 * Each op computes exactly what its `UNARY`/`BINARY` function does, in float64, stored as float32,
 * so results are bitwise the same.
 */
import { softplus } from './fast-math.js';
import { sigmoid } from './training.js';

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
    case 'neg':
      for (let i = start; i < end; i++) out[i] = -(x[i] as number);
      return;
    case 'exp':
      for (let i = start; i < end; i++) out[i] = Math.exp(x[i] as number);
      return;
    case 'log':
      for (let i = start; i < end; i++) out[i] = Math.log(x[i] as number);
      return;
    case 'log1p':
      for (let i = start; i < end; i++) out[i] = Math.log1p(x[i] as number);
      return;
    case 'sqrt':
      for (let i = start; i < end; i++) out[i] = Math.sqrt(x[i] as number);
      return;
    case 'square':
      for (let i = start; i < end; i++) {
        const v = x[i] as number;
        out[i] = v * v;
      }
      return;
    case 'abs':
      for (let i = start; i < end; i++) out[i] = Math.abs(x[i] as number);
      return;
    case 'softplus':
      for (let i = start; i < end; i++) out[i] = softplus(x[i] as number);
      return;
    case 'relu':
      for (let i = start; i < end; i++) out[i] = Math.max(x[i] as number, 0);
      return;
    case 'sigmoid':
      for (let i = start; i < end; i++) out[i] = sigmoid(x[i] as number);
      return;
    case 'tanh':
      for (let i = start; i < end; i++) out[i] = Math.tanh(x[i] as number);
      return;
  }
}

/** The elementwise ops of two broadcast operands. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'greater' | 'less';

/**
 * How `a` and `b` map onto the output, seen as rows of `row` elements: each operand is `full`
 * (one value per output element), a `scalar`, or one `row` repeated for every row.
 */
export interface BinaryLayout {
  readonly row: number;
  readonly a: 'full' | 'scalar' | 'row';
  readonly b: 'full' | 'scalar' | 'row';
}

/**
 * The layout of `a` (of `aShape`) and `b` against the broadcast `shape`, or null for the other
 * broadcasts (for example a column repeated along the last axis, or two different vectors).
 */
export function binaryLayout(
  aShape: readonly number[],
  bShape: readonly number[],
  shape: readonly number[],
): BinaryLayout | null {
  let n = 1;
  for (const d of shape) n *= d;
  const pa = periodOf(aShape, shape);
  const pb = periodOf(bShape, shape);
  if (pa < 0 || pb < 0) return null;
  const partial = [pa, pb].filter((p) => p !== 1 && p !== n);
  if (partial.length === 2 && pa !== pb) return null;
  // At least 1, so that an empty output has no rows rather than a division by zero.
  const row = Math.max(1, partial[0] ?? n);
  const kind = (p: number) => (p === 1 ? 'scalar' : p === n ? 'full' : 'row');
  return { row, a: kind(pa), b: kind(pb) };
}

/**
 * The number of values of an operand of `xShape` that repeat along the output's leading axes,
 * when `xShape` without its leading 1s is the end of `shape`; else −1.
 */
function periodOf(xShape: readonly number[], shape: readonly number[]): number {
  let first = 0;
  while (first < xShape.length && xShape[first] === 1) first++;
  const kept = xShape.length - first;
  if (kept > shape.length) return -1;
  let period = 1;
  for (let d = 0; d < kept; d++) {
    const size = xShape[first + d] as number;
    if (size !== shape[shape.length - kept + d]) return -1;
    period *= size;
  }
  return period;
}

/** Writes `a op b` to `out[i]` for `i` in `[start, end)`, `a` and `b` placed by `layout`. */
export function binaryRange(
  op: BinaryOp,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  layout: BinaryLayout,
  start: number,
  end: number,
): void {
  const { row } = layout;
  const sa = layout.a === 'scalar' ? 0 : 1;
  const sb = layout.b === 'scalar' ? 0 : 1;
  for (let o = start; o < end; ) {
    const inRow = o % row;
    const stop = Math.min(end, o - inRow + row);
    const ia = layout.a === 'full' ? o : layout.a === 'row' ? inRow : 0;
    const ib = layout.b === 'full' ? o : layout.b === 'row' ? inRow : 0;
    binaryRun(op, a, ia, sa, b, ib, sb, out, o, stop - o);
    o = stop;
  }
}

/** `out[o + t] = a[ia + t·sa] op b[ib + t·sb]` for t < len (a stride 0 repeats one value). */
function binaryRun(
  op: BinaryOp,
  a: Float32Array,
  ia: number,
  sa: number,
  b: Float32Array,
  ib: number,
  sb: number,
  out: Float32Array,
  o: number,
  len: number,
): void {
  switch (op) {
    case 'add':
      for (let t = 0; t < len; t++)
        out[o + t] = (a[ia + t * sa] as number) + (b[ib + t * sb] as number);
      return;
    case 'sub':
      for (let t = 0; t < len; t++)
        out[o + t] = (a[ia + t * sa] as number) - (b[ib + t * sb] as number);
      return;
    case 'mul':
      for (let t = 0; t < len; t++)
        out[o + t] = (a[ia + t * sa] as number) * (b[ib + t * sb] as number);
      return;
    case 'div':
      for (let t = 0; t < len; t++)
        out[o + t] = (a[ia + t * sa] as number) / (b[ib + t * sb] as number);
      return;
    case 'maximum':
      for (let t = 0; t < len; t++) {
        const p = a[ia + t * sa] as number;
        const q = b[ib + t * sb] as number;
        // NaN propagates, as in NumPy and tfjs.
        out[o + t] = p > q || Number.isNaN(p) ? p : q;
      }
      return;
    case 'greater':
      for (let t = 0; t < len; t++)
        out[o + t] = (a[ia + t * sa] as number) > (b[ib + t * sb] as number) ? 1 : 0;
      return;
    case 'less':
      for (let t = 0; t < len; t++)
        out[o + t] = (a[ia + t * sa] as number) < (b[ib + t * sb] as number) ? 1 : 0;
      return;
  }
}
