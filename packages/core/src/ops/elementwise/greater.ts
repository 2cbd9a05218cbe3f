import { defineBinary } from './binary.js';

/** `a > b` as 1 or 0, broadcasting; no gradient. */
export const greater = defineBinary({
  name: 'greater',
  summary: 'a > b as 1 or 0 (no gradient)',
  reference: (a, b) => (a > b ? 1 : 0),
  roundings: 0,
});
