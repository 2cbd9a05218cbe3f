import { add } from './add.js';
import { div } from './div.js';
import { defineUnary, TRANSCENDENTAL_ROUNDINGS } from './unary.js';

/** `log(1 + x)`, accurate for small x. */
export const log1p = defineUnary({
  name: 'log1p',
  summary: 'ln(1 + x), accurate near 0',
  gradient: (x, _y, dy) => div(dy, add(x, 1)),
  reference: Math.log1p,
  roundings: TRANSCENDENTAL_ROUNDINGS,
  // 1 + x rounds once; on the generated inputs (|x| ≤ 1.3, but x > −1 only for the positives
  // and −0.3…−0.9) the sum is at least 0.1·(1 + |x|): a tenfold amplification at worst.
  gradientRoundings: 24,
  values: [-0.5, -1e-7, 1e-8, 1e-3, 0.5, 1, 100, 1e30],
  gradientValues: [-0.9, -0.3, 0.01, 0.7, 3],
});
