import { defineBinary } from './binary.js';
import { ARITHMETIC_ROUNDINGS } from './unary.js';

/** `a · b`, broadcasting. */
export const mul = defineBinary({
  name: 'mul',
  summary: 'a · b',
  gradient: (a, b, dy, [needA, needB]) => [needA ? mul(dy, b) : null, needB ? mul(dy, a) : null],
  reference: (a, b) => a * b,
  roundings: ARITHMETIC_ROUNDINGS,
});
