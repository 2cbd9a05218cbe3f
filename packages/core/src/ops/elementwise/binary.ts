/**
 * The shape of every broadcasting elementwise op of two float32 tensors (NumPy's rules; a number
 * is a scalar on the other operand's backend): its definition from a few facts.
 */
import { getBackend } from '../../engine.js';
import { broadcastShapes, formatShape, sameShape } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, type ErrorCase, type OpCase, scalarOn } from '../define.js';
import { sum } from '../reduction/sum.js';
import { reshape } from '../shape/reshape.js';

export interface BinarySpec {
  readonly name: string;
  readonly summary: string;
  /**
   * Input gradients from a, b and dy, before broadcasting is undone; absent: no gradient.
   * `needs[i]` says whether input i's gradient is wanted: a rule computes only those.
   */
  readonly gradient?: (
    a: Tensor,
    b: Tensor,
    dy: Tensor,
    needs: readonly [boolean, boolean],
  ) => [Tensor | null, Tensor | null];
  readonly reference: (a: number, b: number) => number;
  readonly roundings: number;
  readonly gradientRoundings?: number;
}

// Functions, not constants: op modules import each other (gradients), and a constant of a module
// still being evaluated cannot be read.

/** Shape pairs that broadcast: equal, a row, an outer product, a scalar, ranks that differ. */
function broadcasts(): readonly (readonly [number[], number[]])[] {
  return [
    [
      [2, 3],
      [2, 3],
    ],
    [[2, 3], [3]],
    [
      [2, 1],
      [1, 3],
    ],
    [[], [2, 3]],
    [
      [4, 1, 3],
      [2, 1],
    ],
  ];
}

function errors(): readonly ErrorCase[] {
  return [
    {
      name: 'shapes that do not broadcast',
      inputs: [{ shape: [2, 3] }, { shape: [4] }],
      throws: /shapes \[2, 3\] \(a\) and \[4\] \(b\) do not broadcast/,
    },
    { name: 'a not a tensor', inputs: ['x', { shape: [2] }], throws: /a must be a Tensor/ },
    {
      name: 'b int32',
      inputs: [{ shape: [2] }, { shape: [2], dtype: 'int32', values: [1, 2] }],
      throws: /b must be a float32 tensor, got int32/,
    },
  ];
}

/** Sums `g` down to `shape`: the gradient of a broadcast. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  g.shape.forEach((dim, d) => {
    if (d < lead || (shape[d - lead] === 1 && dim !== 1)) axes.push(d);
  });
  const summed = axes.length > 0 ? sum(g, axes) : g;
  return sameShape(summed.shape, shape) ? summed : reshape(summed, shape);
}

/** Defines a broadcasting op of two float32 tensors and returns its public function. */
export function defineBinary(spec: BinarySpec): (a: Tensor | number, b: Tensor | number) => Tensor {
  const rule = spec.gradient;
  const cases: OpCase[] = broadcasts().map(([sa, sb]) => ({
    name: `${formatShape(sa)} with ${formatShape(sb)}`,
    inputs: [{ shape: sa }, { shape: sb }],
  }));
  const op = defineOp({
    name: spec.name,
    family: 'elementwise',
    summary: spec.summary,
    inputs: [
      { name: 'a', dtype: 'float32' },
      { name: 'b', dtype: 'float32' },
    ],
    output: ([a, b]) => {
      const shape = broadcastShapes((a as Tensor).shape, (b as Tensor).shape);
      if (shape === null) {
        throw new RangeError(
          `${spec.name}: shapes ${formatShape((a as Tensor).shape)} (a) and ${formatShape((b as Tensor).shape)} (b) do not broadcast`,
        );
      }
      return { shape, dtype: 'float32' };
    },
    ...(rule && {
      gradient: ({ inputs: [a, b], dy, needs: [needA, needB] }) => {
        const ta = a as Tensor;
        const tb = b as Tensor;
        const [ga, gb] = rule(ta, tb, dy as Tensor, [needA === true, needB === true]);
        return [
          needA && ga ? unbroadcast(ga, ta.shape) : null,
          needB && gb ? unbroadcast(gb, tb.shape) : null,
        ];
      },
    }),
    reference: ([a, b], _attrs) => {
      const ra = a as { values: Float64Array; shape: readonly number[] };
      const rb = b as { values: Float64Array; shape: readonly number[] };
      return broadcastMap(ra, rb, spec.reference);
    },
    tolerance: {
      roundings: spec.roundings,
      ...(spec.gradientRoundings !== undefined && { gradientRoundings: spec.gradientRoundings }),
      scale: 'output',
    },
    cases: rule ? cases : cases.map((c) => ({ ...c, gradient: false })),
    errors: errors(),
  });
  return (a, b) => {
    const where = spec.name;
    const check = (v: unknown, arg: string) => {
      if (!(v instanceof Tensor) && typeof v !== 'number') {
        throw new TypeError(`${where}: ${arg} must be a Tensor or a number, got ${describe(v)}`);
      }
    };
    check(a, 'a');
    check(b, 'b');
    const backend =
      a instanceof Tensor ? a.backend : b instanceof Tensor ? b.backend : getBackend();
    const ta = a instanceof Tensor ? a : scalarOn(backend, a);
    const tb = b instanceof Tensor ? b : scalarOn(backend, b);
    try {
      return op.run([ta, tb]) as Tensor;
    } finally {
      // A recording tape that saved a scalar keeps it until its backward pass is done.
      if (ta !== a) ta.dispose();
      if (tb !== b) tb.dispose();
    }
  };
}

/** `f` applied elementwise under NumPy broadcasting, in float64. */
export function broadcastMap(
  a: { values: Float64Array; shape: readonly number[] },
  b: { values: Float64Array; shape: readonly number[] },
  f: (x: number, y: number) => number,
): Float64Array {
  const shape = broadcastShapes(a.shape, b.shape) as number[];
  const rank = shape.length;
  const stridesFor = (s: readonly number[]) => {
    const strides = new Array<number>(rank).fill(0);
    let stride = 1;
    for (let d = s.length - 1; d >= 0; d--) {
      const out = rank - s.length + d;
      strides[out] = s[d] === 1 ? 0 : stride;
      stride *= s[d] as number;
    }
    return strides;
  };
  const sa = stridesFor(a.shape);
  const sb = stridesFor(b.shape);
  const size = shape.reduce((p, q) => p * q, 1);
  const out = new Float64Array(size);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < size; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia += (index[d] as number) * (sa[d] as number);
      ib += (index[d] as number) * (sb[d] as number);
    }
    out[i] = f(a.values[ia] as number, b.values[ib] as number);
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (shape[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}
