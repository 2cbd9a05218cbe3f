import { defineBinary } from './binary.js';
import { ARITHMETIC_ROUNDINGS } from './unary.js';

/** `a · b`, broadcasting. */
export const mul = defineBinary({
  name: 'mul',
  summary: 'a · b',
  gradient: (a, b, dy) => [mul(dy, b), mul(dy, a)],
  reference: (a, b) => a * b,
  roundings: ARITHMETIC_ROUNDINGS,
});
