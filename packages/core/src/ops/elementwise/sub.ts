import { defineBinary } from './binary.js';
import { neg } from './neg.js';
import { ARITHMETIC_ROUNDINGS } from './unary.js';

/** `a − b`, broadcasting. */
export const sub = defineBinary({
  name: 'sub',
  summary: 'a − b',
  gradient: (_a, _b, dy, [, needB]) => [dy, needB ? neg(dy) : null],
  reference: (a, b) => a - b,
  roundings: ARITHMETIC_ROUNDINGS,
});
