import { div } from './div.js';
import { mul } from './mul.js';
import { ARITHMETIC_ROUNDINGS, defineUnary } from './unary.js';

/** Square root. */
export const sqrt = defineUnary({
  name: 'sqrt',
  summary: '√x',
  gradient: (_x, y, dy) => div(dy, mul(y, 2)),
  reference: Math.sqrt,
  roundings: ARITHMETIC_ROUNDINGS,
  gradientRoundings: 3 * ARITHMETIC_ROUNDINGS,
  values: [0, 1e-30, 0.25, 2, 1e30],
  gradientValues: [0.3, 0.9, 1.7, 4],
});
