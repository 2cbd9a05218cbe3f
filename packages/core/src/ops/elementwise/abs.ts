import { greater } from './greater.js';
import { less } from './less.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { defineUnary } from './unary.js';

/** `|x|`; its gradient is sign(x) (0 at 0). */
export const abs = defineUnary({
  name: 'abs',
  summary: '|x|',
  gradient: (x, _y, dy) => mul(dy, sub(greater(x, 0), less(x, 0))),
  reference: Math.abs,
  roundings: 0,
  gradientRoundings: 1,
  values: [-3.5, -1e-20, 0, 2, 1e30],
});
