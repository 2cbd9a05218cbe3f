/** The shape of every elementwise op of one float32 tensor: its definition from a few facts. */
import type { Tensor } from '../../tensor.js';
import { type CaseInput, defineOp, type ErrorCase, type OpCase } from '../define.js';

/**
 * Roundings allowed for a transcendental kernel (exp, log, …): engines use vectorised
 * approximations accurate to a few units in the last place, not correctly rounded ones.
 */
export const TRANSCENDENTAL_ROUNDINGS = 8;
/** Roundings allowed for one arithmetic operation (correctly rounded in IEEE 754: one). */
export const ARITHMETIC_ROUNDINGS = 2;

export interface UnarySpec {
  readonly name: string;
  readonly summary: string;
  /** The derivative's rule: the input gradient from x, the output y and dy. */
  readonly gradient: (x: Tensor, y: Tensor, dy: Tensor) => Tensor;
  readonly reference: (x: number) => number;
  /** Forward roundings (see `Tolerance`). */
  readonly roundings: number;
  /**
   * Roundings of the gradient relative to its own size: the forward's carried through the rule's
   * few operations, and any cancellation the rule has on the case's inputs (said where used).
   */
  readonly gradientRoundings: number;
  /** Values the forward case covers, tails included. */
  readonly values: readonly number[];
  /** Values where the gradient is checked (default: generated ±[0.3, 1.3]). */
  readonly gradientValues?: readonly number[];
}

/** Bad inputs every unary op rejects (a function: see binary.ts). */
function errors(): ErrorCase[] {
  return [
    { name: 'x not a tensor', inputs: [[1, 2]], throws: /x must be a Tensor/ },
    {
      name: 'x int32',
      inputs: [{ shape: [2], dtype: 'int32', values: [1, 2] }],
      throws: /x must be a float32 tensor, got int32/,
    },
  ];
}

/** Defines an elementwise op of one float32 tensor and returns its public function. */
export function defineUnary(spec: UnarySpec): (x: Tensor) => Tensor {
  const gradientInput: CaseInput = spec.gradientValues
    ? { shape: [spec.gradientValues.length], values: spec.gradientValues }
    : { shape: [2, 3] };
  const cases: OpCase[] = [
    {
      name: 'values and tails',
      inputs: [{ shape: [spec.values.length], values: spec.values }],
      gradient: false,
    },
    { name: 'scalar', inputs: [{ shape: [], values: [spec.gradientValues?.[0] ?? 0.75] }] },
    { name: 'gradient', inputs: [gradientInput] },
  ];
  const op = defineOp({
    name: spec.name,
    family: 'elementwise',
    summary: spec.summary,
    inputs: [{ name: 'x', dtype: 'float32' }],
    output: ([x]) => ({ shape: (x as Tensor).shape, dtype: 'float32' }),
    gradient: ({ inputs: [x], output, dy }) => [
      spec.gradient(x as Tensor, output as Tensor, dy as Tensor),
    ],
    reference: ([x]) => (x as { values: Float64Array }).values.map(spec.reference),
    tolerance: {
      roundings: spec.roundings,
      gradientRoundings: spec.gradientRoundings,
      scale: 'output',
    },
    cases,
    errors: errors(),
  });
  return (x: Tensor) => op.run([x]) as Tensor;
}
