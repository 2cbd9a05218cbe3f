import { describe, expect, it } from 'vitest';
import { softplus64 } from '../test-helpers.js';
import {
  expNonPositive,
  logSoftplus,
  sigmoid,
  softplus,
  softplusWithLogSum,
  tanh,
} from './fast-math.js';

/**
 * Float64 `log softplus(x)`; below −30, `x − eˣ/2` (the next term, `5e²ˣ/24`, is below 1e-26),
 * which stays finite and exact where softplus underflows.
 */
function logSoftplus64(x: number): number {
  return x < -30 ? x - Math.exp(x) / 2 : Math.log(softplus64(x));
}

/** Error of softplus relative to the float64 value (to the smallest normal, for subnormal ones). */
function softplusError(x: number): number {
  const ref = softplus64(x);
  return Math.abs(softplus(x) - ref) / Math.max(ref, 2 ** -1022);
}

/** Error of `log softplus`, relative where its magnitude is above 1, absolute below. */
function logSoftplusError(x: number): number {
  const ref = logSoftplus64(x);
  return Math.abs(logSoftplus(x) - ref) / Math.max(Math.abs(ref), 1);
}

const bits = new Uint32Array(1);
const float = new Float32Array(bits.buffer);

/** The float32 whose bits are `b`. */
function fromBits(b: number): number {
  bits[0] = b;
  return float[0] as number;
}

/** Largest error of each function over `xs`, and where (NaN, once found, stays). */
function worst(xs: Iterable<number>) {
  const found = { softplus: 0, softplusAt: 0, log: 0, logAt: 0 };
  for (const x of xs) {
    const e = softplusError(x);
    if (Number.isNaN(e) || e > found.softplus) Object.assign(found, { softplus: e, softplusAt: x });
    const l = logSoftplusError(x);
    if (Number.isNaN(l) || l > found.log) Object.assign(found, { log: l, logAt: x });
  }
  return found;
}

/** Every 97th float32 of `[−100, 100]` by bit pattern (2.3·10⁷ values: every binade, densely). */
function* float32Scan(): Generator<number> {
  const hundred = 0x42c80000;
  for (let b = 0; b <= hundred; b += 97) {
    yield fromBits(b);
    yield fromBits(b | 0x80000000);
  }
}

/** Around each of the 4096 table pieces of `[−16, 16)`: its ends, middle and nodes, ±2 ulp. */
function* pieceEdges(): Generator<number> {
  for (let j = -2048; j <= 2048; j++) {
    for (const offset of [0, 0.5, 0.5 - Math.sqrt(3) / 4, 0.5 + Math.sqrt(3) / 4]) {
      float[0] = (j + offset) / 128;
      const b = bits[0] as number;
      // b + d < 0 only at x = +0 (bits 0): the float32 just below it are the negative subnormals,
      // whose bits (0x80000001 up) are not b + d, so those steps are skipped, not wrapped to NaNs.
      for (let d = -2; d <= 2; d++) if (b + d >= 0) yield fromBits(b + d);
    }
  }
}

/** Extremes and the edges of the tails, of float32 subnormal softplus and of float64 underflow. */
const EXTREMES = [
  [
    0,
    1e-45,
    1e-30,
    15.999999,
    16 - 2 ** -49,
    16,
    16.000002,
    30,
    37,
    88,
    88.72,
    100,
    103.97,
    104,
    500,
    708,
  ],
  [745, 745.1, 746, 1e4, 1e30, 3.4028234663852886e38, Number.MAX_VALUE],
]
  .flat()
  .flatMap((m) => [m, -m]);

describe('fast-math softplus and log softplus against float64', () => {
  it('over every 97th float32 of [−100, 100]: softplus within 3e-9 relative, its log 2e-10', () => {
    const found = worst(float32Scan());
    expect(found.softplus, `worst at ${found.softplusAt}`).toBeLessThan(3e-9);
    expect(found.log, `worst at ${found.logAt}`).toBeLessThan(2e-10);
  });

  it('at the ends, middles and nodes of every table piece, ±2 float32 ulp', () => {
    const found = worst(pieceEdges());
    expect(found.softplus, `worst at ${found.softplusAt}`).toBeLessThan(3e-9);
    expect(found.log, `worst at ${found.logAt}`).toBeLessThan(2e-10);
  });

  it('at extremes, float32 subnormal outputs (−104 … −87) and float64 subnormal ones', () => {
    const subnormal32 = Array.from({ length: 1700 }, (_, i) => Math.fround(-104 + i / 100));
    const subnormal64 = Array.from({ length: 3800 }, (_, i) => -746 + i / 100);
    const found = worst([...EXTREMES, ...subnormal32, ...subnormal64]);
    expect(found.softplus, `worst at ${found.softplusAt}`).toBeLessThan(3e-9);
    expect(found.log, `worst at ${found.logAt}`).toBeLessThan(2e-10);
    for (const x of subnormal32) {
      expect(Math.fround(softplus(x)), `float32 softplus(${x})`).toBe(Math.fround(softplus64(x)));
    }
  });

  it('is finite and positive for every finite x; ∞, −∞ and NaN pass through', () => {
    for (const x of EXTREMES) {
      const s = softplus(x);
      expect(Number.isFinite(s) && s >= 0, `softplus(${x}) = ${s}`).toBe(true);
      expect(Number.isFinite(logSoftplus(x)), `log softplus(${x})`).toBe(true);
    }
    expect(Math.abs(softplus(0) / Math.LN2 - 1)).toBeLessThan(3e-9);
    expect(softplus(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(softplus(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(logSoftplus(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(softplus(Number.NaN)).toBeNaN();
    expect(logSoftplus(Number.NaN)).toBeNaN();
  });

  it('softplusWithLogSum gives bitwise softplus and the in-order sum of logSoftplus', () => {
    const rho = Float32Array.from({ length: 5000 }, (_, i) => -40 + ((i * 7919) % 5000) / 62.5);
    rho[18] = -1e30;
    rho[19] = 1e30;
    const sigma = new Float64Array(rho.length + 3);
    const logSum = softplusWithLogSum(rho, 10, rho.length, sigma, 7);
    let expected = 0;
    for (let i = 10; i < rho.length; i++) {
      expect(Object.is(sigma[i - 7], softplus(rho[i] as number)), `sigma at ${i}`).toBe(true);
      expected += logSoftplus(rho[i] as number);
    }
    expect(Object.is(logSum, expected)).toBe(true);
  });
});

describe('expNonPositive', () => {
  it('is within 2e-12 relative of Math.exp from −745 to 0, 0 below', () => {
    let found = 0;
    for (let i = 0; i <= 745_000; i++) {
      const a = -i / 1000 - (i % 7) / 7000;
      const ref = Math.exp(a);
      found = Math.max(found, Math.abs(expNonPositive(a) - ref) / Math.max(ref, 2 ** -1022));
    }
    expect(found).toBeLessThan(2e-12);
    expect(expNonPositive(-746)).toBe(0);
    expect(expNonPositive(0)).toBe(1);
  });
});

/** Float64 logistic by `Math.exp` (fdlibm), in the form that neither overflows nor cancels. */
function sigmoid64(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Largest error of `fn` relative to `ref` over `xs` (relative to the smallest normal float64 for
 * subnormal values), and where; NaN, once found, stays.
 */
function worstOf(fn: (x: number) => number, ref: (x: number) => number, xs: Iterable<number>) {
  const found = { error: 0, at: 0 };
  for (const x of xs) {
    const r = ref(x);
    const e = Math.abs(fn(x) - r) / Math.max(Math.abs(r), 2 ** -1022);
    if (Number.isNaN(e) || e > found.error) Object.assign(found, { error: e, at: x });
  }
  return found;
}

describe('sigmoid and tanh against float64 (Math.exp, Math.tanh)', () => {
  // Around tanh's switch from its series at |x| = 1/8, ±4 float32 ulp.
  const seriesEdge = [1 / 8, -1 / 8].flatMap((m) => {
    float[0] = m;
    const b = bits[0] as number;
    return [-4, -3, -2, -1, 0, 1, 2, 3, 4].map((d) => fromBits(b + d));
  });
  const inputs = () => [float32Scan(), EXTREMES, seriesEdge, [1e-300, -1e-300, 5e-324]];

  it('sigmoid within 3e-12 relative over every 97th float32 of [−100, 100] and extremes', () => {
    for (const xs of inputs()) {
      const found = worstOf(sigmoid, sigmoid64, xs);
      expect(found.error, `worst at ${found.at}`).toBeLessThan(3e-12);
    }
  });

  it('tanh within 1e-11 relative over every 97th float32 of [−100, 100] and extremes', () => {
    for (const xs of inputs()) {
      const found = worstOf(tanh, Math.tanh, xs);
      expect(found.error, `worst at ${found.at}`).toBeLessThan(1e-11);
    }
  });

  it('keeps the limits, the sign of zero and NaN', () => {
    expect(sigmoid(Number.POSITIVE_INFINITY)).toBe(1);
    expect(sigmoid(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(-0)).toBe(0.5);
    expect(sigmoid(Number.NaN)).toBeNaN();
    expect(tanh(Number.POSITIVE_INFINITY)).toBe(1);
    expect(tanh(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(Object.is(tanh(0), 0)).toBe(true);
    expect(Object.is(tanh(-0), -0)).toBe(true);
    expect(tanh(Number.NaN)).toBeNaN();
  });
});
