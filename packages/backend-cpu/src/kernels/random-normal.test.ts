/**
 * The normal draws (`random-normal.ts`, `normal-wasm.ts`): the WebAssembly SIMD and TypeScript
 * implementations give bitwise the same numbers, any block range gives the same numbers, and the
 * draws are N(0,1) position by position within the 8-draw step (4 cosines, 4 sines), with the
 * right fourth moment and tail mass, and the cosine and sine of a pair independent. Statistical
 * bounds: 5 standard errors, KS at p < 1e-6 (the conformance suite's).
 */
import {
  correlation,
  KS_ALPHA,
  ksCritical,
  ksStatistic,
  meanVariance,
  normalCdf,
  STANDARD_ERRORS,
} from '@illia-ts/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { firstDifference } from '../test-helpers.js';
import { sampleBlocks, sigmaBlocks } from './gaussian.js';
import { normalWasm } from './normal-wasm.js';
import {
  BLOCK,
  fillNormalBlocks,
  normalBlock,
  normalBlockTs,
  normalSimd,
  seedWord0,
  seedWord1,
  setNormalSimd,
} from './random-normal.js';

afterEach(() => setNormalSimd(true));

describe('normal draws', () => {
  it('Node has the WebAssembly SIMD draws, and the switch turns them off and on', () => {
    expect(normalWasm).not.toBeNull();
    expect(normalSimd()).toBe(true);
    setNormalSimd(false);
    expect(normalSimd()).toBe(false);
    setNormalSimd(true);
    expect(normalSimd()).toBe(true);
  });

  it('WebAssembly SIMD and TypeScript give bitwise the same blocks', () => {
    const wasm = (w0: number, w1: number, block: number) => {
      normalWasm!.normals(w0, w1, block);
      return normalWasm!.draws;
    };
    const ts = new Float32Array(BLOCK);
    let checked = 0;
    for (const seed of [0, 1, 42, 0x7fffffff, -1]) {
      for (const counter of [0, 1, 99991]) {
        const w0 = seedWord0(seed);
        const w1 = seedWord1(counter);
        for (const block of [0, 1, 2, 1000, 2 ** 20 - 1, 2 ** 26 + 3]) {
          normalBlockTs(w0, w1, block, ts);
          const at = firstDifference(wasm(w0, w1, block), ts);
          expect(at, `seed ${seed} counter ${counter} block ${block}`).toBe(-1);
          checked++;
        }
      }
    }
    expect(checked).toBe(90);
  });

  it('bitwise the same on 2⁶ blocks of extreme draws (u near 0 and 1, every quadrant)', () => {
    // Many blocks: about 130k pairs, so uniforms within 2⁻¹⁷ of either end occur.
    const ts = new Float32Array(BLOCK);
    let largest = 0;
    for (let block = 0; block < 64; block++) {
      normalWasm!.normals(seedWord0(7), seedWord1(3), block);
      const draws = normalWasm!.draws;
      normalBlockTs(seedWord0(7), seedWord1(3), block, ts);
      expect(firstDifference(draws, ts), `block ${block}`).toBe(-1);
      for (const z of draws) largest = Math.max(largest, Math.abs(z));
    }
    expect(largest).toBeGreaterThan(4);
    expect(largest).toBeLessThan(6.67);
  });

  it('any block range and either implementation fill the same numbers, a partial block a prefix', () => {
    const n = 5 * BLOCK + 777;
    const whole = new Float32Array(n);
    fillNormalBlocks(whole, 5, 9, 0, 6);
    const split = new Float32Array(n);
    fillNormalBlocks(split, 5, 9, 0, 2);
    fillNormalBlocks(split, 5, 9, 2, 6);
    expect(firstDifference(split, whole)).toBe(-1);
    setNormalSimd(false);
    const ts = new Float32Array(n);
    fillNormalBlocks(ts, 5, 9, 0, 6);
    expect(firstDifference(ts, whole)).toBe(-1);
    // The partial last block is the start of the full block's draws.
    expect(
      firstDifference(
        ts.subarray(5 * BLOCK),
        normalBlock(seedWord0(5), seedWord1(9), 5).subarray(0, 777),
      ),
    ).toBe(-1);
    // Another key gives other numbers.
    const other = new Float32Array(n);
    fillNormalBlocks(other, 5, 10, 0, 6);
    expect(firstDifference(other, whole)).toBe(0);
  });

  it('each position of the 8-draw step is N(0,1); fourth moment 3; tail mass; pairs independent', () => {
    const blocks = 2048; // 4.2 M draws, 524288 per position
    const all = new Float32Array(blocks * BLOCK);
    fillNormalBlocks(all, 2024, 1, 0, blocks);
    const per = all.length / 8;
    const critical = ksCritical(per, KS_ALPHA);
    for (let pos = 0; pos < 8; pos++) {
      const z = new Float64Array(per);
      for (let i = 0; i < per; i++) z[i] = all[8 * i + pos] as number;
      const { mean, variance } = meanVariance(z);
      expect(Math.abs(mean), `mean at ${pos}`).toBeLessThan(STANDARD_ERRORS * Math.sqrt(1 / per));
      expect(Math.abs(variance - 1), `variance at ${pos}`).toBeLessThan(
        STANDARD_ERRORS * Math.sqrt(2 / per),
      );
      expect(ksStatistic(z, normalCdf), `KS at ${pos}`).toBeLessThan(critical);
    }
    const n = all.length;
    // E z⁴ = 3, Var z⁴ = 105 − 9 = 96.
    let m4 = 0;
    let beyond3 = 0;
    for (const z of all) {
      m4 += z ** 4;
      if (Math.abs(z) > 3) beyond3++;
    }
    m4 /= n;
    expect(Math.abs(m4 - 3), 'fourth moment').toBeLessThan(STANDARD_ERRORS * Math.sqrt(96 / n));
    const p3 = 2 * (1 - normalCdf(3));
    expect(Math.abs(beyond3 / n - p3), 'P(|z| > 3)').toBeLessThan(
      STANDARD_ERRORS * Math.sqrt((p3 * (1 - p3)) / n),
    );
    // The cosine and sine of one pair (positions j and j + 4) are independent: their squares
    // are uncorrelated (r² = z₀² + z₁² would show through a faulty angle or radius).
    const c2 = new Float64Array(n / 2);
    const s2 = new Float64Array(n / 2);
    for (let i = 0; i < n / 8; i++) {
      for (let j = 0; j < 4; j++) {
        c2[4 * i + j] = (all[8 * i + j] as number) ** 2;
        s2[4 * i + j] = (all[8 * i + 4 + j] as number) ** 2;
      }
    }
    expect(Math.abs(correlation(c2, s2)), 'corr(cos², sin²)').toBeLessThan(
      STANDARD_ERRORS / Math.sqrt(n / 2),
    );
  });
});

describe('sample blocks', () => {
  it('mu + sigma·eps: WebAssembly and TypeScript, cached and not, bitwise the same', () => {
    const n = 3 * BLOCK + 5;
    const mu = new Float32Array(n);
    const rho = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      mu[i] = Math.fround(Math.sin(i) * 3);
      rho[i] = Math.fround(Math.cos(i * 0.7) * 20 - 5);
    }
    const sigma = new Float64Array(n);
    sigmaBlocks(rho, sigma, new Float64Array(4), 0, 4);
    const run = (simd: boolean, cached: boolean) => {
      setNormalSimd(simd);
      const out = new Float32Array(n);
      sampleBlocks(out, mu, rho, cached ? sigma : null, 11, 3, 0, 4);
      return out;
    };
    const reference = run(false, true);
    expect(firstDifference(run(false, false), reference)).toBe(-1);
    expect(firstDifference(run(true, true), reference)).toBe(-1);
    expect(firstDifference(run(true, false), reference)).toBe(-1);
    // And it is mu + sigma·eps, rounded once, eps the randomNormal draws.
    const eps = new Float32Array(n);
    fillNormalBlocks(eps, 11, 3, 0, 4);
    for (let i = 0; i < n; i++) {
      expect(reference[i]).toBe(
        Math.fround((mu[i] as number) + (sigma[i] as number) * (eps[i] as number)),
      );
    }
  });
});
