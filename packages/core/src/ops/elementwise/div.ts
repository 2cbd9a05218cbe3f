import { defineBinary } from './binary.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { square } from './square.js';
import { ARITHMETIC_ROUNDINGS } from './unary.js';

/** `a / b`, broadcasting. */
export const div = defineBinary({
  name: 'div',
  summary: 'a / b',
  gradient: (a, b, dy, [needA, needB]) => [
    needA ? div(dy, b) : null,
    needB ? neg(div(mul(dy, a), square(b))) : null,
  ],
  reference: (a, b) => a / b,
  roundings: ARITHMETIC_ROUNDINGS,
});
