import { mul } from './mul.js';
import { sigmoid } from './sigmoid.js';
import { defineUnary, TRANSCENDENTAL_ROUNDINGS } from './unary.js';

/** `log(1 + eˣ)` in float64, without overflow or loss in either tail. */
export function softplus64(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** `log(1 + e^x)`, computed stably: finite for every finite x. */
export const softplus = defineUnary({
  name: 'softplus',
  summary: 'ln(1 + eˣ), finite for every finite x',
  gradient: (x, _y, dy) => mul(dy, sigmoid(x)),
  reference: softplus64,
  roundings: TRANSCENDENTAL_ROUNDINGS,
  gradientRoundings: TRANSCENDENTAL_ROUNDINGS + 2,
  values: [-100, -20, -7, -1e-3, 0, 1e-3, 1, 7, 20, 80, 100, 1e4],
});
