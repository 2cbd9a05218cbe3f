import { mul } from './mul.js';
import { sub } from './sub.js';
import { defineUnary, TRANSCENDENTAL_ROUNDINGS } from './unary.js';

/** `1 / (1 + e^−x)`, accurate in both tails. */
export const sigmoid = defineUnary({
  name: 'sigmoid',
  summary: '1 / (1 + e⁻ˣ), accurate in both tails',
  gradient: (_x, y, dy) => mul(dy, mul(y, sub(1, y))),
  reference: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  roundings: TRANSCENDENTAL_ROUNDINGS,
  // 1 − y cancels: y ≤ sigmoid(1.3) = 0.79, so 1 − y ≥ 0.21 carries y's error ×3.8.
  gradientRoundings: 4 * TRANSCENDENTAL_ROUNDINGS + 4,
  values: [-80, -30, -5, -1e-3, 0, 1e-3, 5, 30, 80],
});
