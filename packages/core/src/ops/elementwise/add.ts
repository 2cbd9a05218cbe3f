import { defineBinary } from './binary.js';
import { ARITHMETIC_ROUNDINGS } from './unary.js';

/** `a + b`, broadcasting (a number is a scalar). */
export const add = defineBinary({
  name: 'add',
  summary: 'a + b',
  gradient: (_a, _b, dy) => [dy, dy],
  reference: (a, b) => a + b,
  roundings: ARITHMETIC_ROUNDINGS,
});
