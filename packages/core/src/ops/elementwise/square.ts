import { mul } from './mul.js';
import { ARITHMETIC_ROUNDINGS, defineUnary } from './unary.js';

/** `x²` */
export const square = defineUnary({
  name: 'square',
  summary: 'x²',
  gradient: (x, _y, dy) => mul(dy, mul(x, 2)),
  reference: (x) => x * x,
  roundings: ARITHMETIC_ROUNDINGS,
  gradientRoundings: 2 * ARITHMETIC_ROUNDINGS,
  values: [-3.5, -1e-10, 0, 2, 1e15],
});
