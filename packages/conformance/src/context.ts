import type { Backend, Tensor } from '@illia-ts/core';

/** What the test groups share: the backend under test, known once `beforeAll` has run. */
export interface SuiteContext {
  /** The name the backend is registered under for this suite. */
  readonly name: string;
  /** The backend under test. */
  backend(): Backend;
}

/** Reads a tensor and disposes it. */
export async function take(t: Tensor): Promise<Float32Array> {
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}

/** Rounds a float64 array to float32. */
export const f32 = (values: ArrayLike<number>): Float32Array => Float32Array.from(values);

/**
 * The largest elementwise error of `got` against the float64 `expected`, in units of
 * `epsilon · scale` (plus `floor` for results near zero), where `scale` is `|expected|` unless
 * given (the size of the terms a result was summed from). 1 means one float32 rounding.
 */
export function worstError(
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  epsilon: number,
  floor = 1e-37,
  scale?: ArrayLike<number>,
): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const g = got[i] as number;
    const s = scale ? (scale[i] as number) : Math.abs(e);
    const error = Math.abs(g - e) / (epsilon * s + floor);
    worst = Math.max(worst, Number.isNaN(error) ? Number.POSITIVE_INFINITY : error);
  }
  return worst;
}
