import { defineBinary } from './binary.js';
import { less } from './less.js';
import { mul } from './mul.js';
import { sub } from './sub.js';

/** Elementwise maximum, broadcasting; NaN if either is NaN. Ties send the gradient to a. */
export const maximum = defineBinary({
  name: 'maximum',
  summary: 'max(a, b), NaN if either is; ties send the gradient to a',
  gradient: (a, b, dy, [needA, needB]) => {
    const toB = less(a, b);
    return [needA ? mul(dy, sub(1, toB)) : null, needB ? mul(dy, toB) : null];
  },
  reference: (a, b) => Math.max(a, b),
  roundings: 0,
});
