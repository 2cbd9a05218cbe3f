import { mul } from './mul.js';
import { square } from './square.js';
import { sub } from './sub.js';
import { defineUnary, TRANSCENDENTAL_ROUNDINGS } from './unary.js';

/** Hyperbolic tangent. */
export const tanh = defineUnary({
  name: 'tanh',
  summary: 'hyperbolic tangent',
  gradient: (_x, y, dy) => mul(dy, sub(1, square(y))),
  reference: Math.tanh,
  roundings: TRANSCENDENTAL_ROUNDINGS,
  // 1 − y² cancels: |y| ≤ tanh(1.3) = 0.86, so 1 − y² ≥ 0.26 carries y²'s error ×2.9.
  gradientRoundings: 6 * TRANSCENDENTAL_ROUNDINGS + 4,
  values: [-20, -1, -1e-3, 0, 1e-3, 0.5, 1, 20],
});
