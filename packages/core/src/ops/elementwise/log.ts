import { div } from './div.js';
import { defineUnary, TRANSCENDENTAL_ROUNDINGS } from './unary.js';

/** Natural logarithm. */
export const log = defineUnary({
  name: 'log',
  summary: 'ln x',
  gradient: (x, _y, dy) => div(dy, x),
  reference: Math.log,
  roundings: TRANSCENDENTAL_ROUNDINGS,
  gradientRoundings: 2,
  values: [1e-30, 1e-3, 0.5, 2, 10, 1e30],
  gradientValues: [0.3, 0.9, 1.7, 4],
});
