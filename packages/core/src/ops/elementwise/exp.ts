import { mul } from './mul.js';
import { defineUnary, TRANSCENDENTAL_ROUNDINGS } from './unary.js';

/** `e^x` */
export const exp = defineUnary({
  name: 'exp',
  summary: 'eˣ',
  gradient: (_x, y, dy) => mul(dy, y),
  reference: Math.exp,
  roundings: TRANSCENDENTAL_ROUNDINGS,
  gradientRoundings: TRANSCENDENTAL_ROUNDINGS + 2,
  values: [-80, -10, -1e-3, 0, 0.5, 10, 80],
});
