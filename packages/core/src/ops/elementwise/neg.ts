import { defineUnary } from './unary.js';

/** `-x` */
export const neg = defineUnary({
  name: 'neg',
  summary: '−x',
  gradient: (_x, _y, dy) => neg(dy),
  reference: (x) => -x,
  roundings: 0,
  gradientRoundings: 0,
  values: [-3.5, -1e-20, 0, 2, 1e30],
});
