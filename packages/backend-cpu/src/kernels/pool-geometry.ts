/** The sizes of a 2-D pool (NCHW), which `max-pool2d.ts`, its gradient and `avg-pool2d.ts` share. */
import type { Pool2dAttrs } from '@illia-ts/core';

export interface PoolGeometry {
  /** Planes: batch · channels. */
  readonly planes: number;
  readonly h: number;
  readonly w: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly ho: number;
  readonly wo: number;
}

/** The geometry of a pool of `x` with `a` (core has checked that the window fits). */
export function poolGeometry(x: readonly number[], a: Pool2dAttrs): PoolGeometry {
  const [n, c, h, w] = x as [number, number, number, number];
  const [kh, kw] = a.kernel;
  const [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  const ho = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - kw) / sw) + 1;
  return { planes: n * c, h, w, kh, kw, sh, sw, ph, pw, ho, wo };
}

/** Elements' worth of work of a pool: every window element visited once. */
export const poolWork = (g: PoolGeometry): number => g.planes * g.ho * g.wo * g.kh * g.kw;
