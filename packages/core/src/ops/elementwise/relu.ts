import { reluGrad } from './relu-grad.js';
import { defineUnary } from './unary.js';

/** `max(x, 0)`; its gradient is 0 at 0. */
export const relu = defineUnary({
  name: 'relu',
  summary: 'max(x, 0)',
  gradient: (x, _y, dy) => reluGrad(x, dy),
  reference: (x) => Math.max(x, 0),
  roundings: 0,
  gradientRoundings: 1,
  values: [-3.5, -1e-20, 0, 1e-20, 2, 1e30],
});
