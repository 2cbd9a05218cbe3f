import { globalGenerator, randomNormal, rng, setSeed } from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { type SuiteContext, take } from './context.js';
import {
  correlation,
  correlationStandardError,
  ksCritical,
  ksStatistic,
  meanStandardError,
  meanVariance,
  normalCdf,
  STANDARD_ERRORS,
  varianceStandardError,
} from './statistics.js';

const N = 1_000_000;

/** Asserts that draws look like N(0,1): mean, variance (5 standard errors) and KS (p < 1e-6). */
export function expectStandardNormal(z: ArrayLike<number>): void {
  const n = z.length;
  const { mean, variance } = meanVariance(z);
  expect(Math.abs(mean), 'mean of N(0,1) draws').toBeLessThan(
    STANDARD_ERRORS * meanStandardError(1, n),
  );
  expect(Math.abs(variance - 1), 'variance of N(0,1) draws').toBeLessThan(
    STANDARD_ERRORS * varianceStandardError(1, n),
  );
  expect(ksStatistic(z, normalCdf), 'KS statistic against N(0,1)').toBeLessThan(ksCritical(n));
}

/** Asserts that two series are uncorrelated (5 standard errors). */
export function expectUncorrelated(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(Math.abs(correlation(a, b)), what).toBeLessThan(
    STANDARD_ERRORS * correlationStandardError(a.length),
  );
}

export function randomTests(_ctx: SuiteContext): void {
  describe('random numbers', () => {
    it('randomNormal draws N(0,1): mean, variance, KS at p < 1e-6', async () => {
      const z = await take(randomNormal([N], rng(1)));
      expect(z.length).toBe(N);
      expectStandardNormal(z);
    });

    it('neighbouring elements are uncorrelated', async () => {
      const z = await take(randomNormal([N], rng(2)));
      for (const lag of [1, 2, 7, 1024, 4096]) {
        expectUncorrelated(z.subarray(0, N - lag), z.subarray(lag), `lag-${lag} correlation`);
      }
    });

    it('the same seed and calls give bitwise the same numbers; every call gives new ones', async () => {
      const a = rng(123);
      const b = rng(123);
      const a1 = await take(randomNormal([10_000], a));
      const a2 = await take(randomNormal([10_000], a));
      const b1 = await take(randomNormal([10_000], b));
      const b2 = await take(randomNormal([10_000], b));
      expect(b1).toEqual(a1);
      expect(b2).toEqual(a2);
      expect(a2).not.toEqual(a1);
      expectUncorrelated(a1, a2, 'successive calls of one generator');
    });

    it('another seed gives an independent stream', async () => {
      const draws = await Promise.all(
        [0, 1, 2, 2 ** 24, 2 ** 32 - 1].map((s) => take(randomNormal([20_000], rng(s)))),
      );
      for (let i = 0; i < draws.length; i++) {
        for (let j = i + 1; j < draws.length; j++) {
          expect(draws[j]).not.toEqual(draws[i]);
          expectUncorrelated(draws[i]!, draws[j]!, `seeds #${i} and #${j}`);
        }
      }
    });

    it('interleaving two generators does not change either stream', async () => {
      const sequential = [rng(5), rng(6)];
      const s = [
        await take(randomNormal([1000], sequential[0])),
        await take(randomNormal([1000], sequential[0])),
        await take(randomNormal([1000], sequential[1])),
        await take(randomNormal([1000], sequential[1])),
      ];
      const interleaved = [rng(5), rng(6)];
      // Record all four before reading any (a lazy backend runs them together).
      const pending = [
        randomNormal([1000], interleaved[0]),
        randomNormal([1000], interleaved[1]),
        randomNormal([1000], interleaved[0]),
        randomNormal([1000], interleaved[1]),
      ];
      const t = await Promise.all(pending.map(take));
      expect(t[0]).toEqual(s[0]);
      expect(t[2]).toEqual(s[1]);
      expect(t[1]).toEqual(s[2]);
      expect(t[3]).toEqual(s[3]);
    });

    it('the global generator starts from setSeed(n) and advances', async () => {
      setSeed(77);
      expect(globalGenerator().seed).toBe(77);
      const first = await take(randomNormal([1000]));
      const second = await take(randomNormal([1000]));
      setSeed(77);
      expect(await take(randomNormal([1000]))).toEqual(first);
      expect(await take(randomNormal([1000]))).toEqual(second);
      expect(second).not.toEqual(first);
      setSeed(0);
    });
  });
}
