/**
 * The WebAssembly sum of `gaussianLogRatio` against its TypeScript transcription: bitwise the
 * same lane sums for every count (the tail beyond the last 4 is the transcription's in both), on
 * ordinary values and on values where float64 rounding decides (huge, tiny, subnormal σ).
 */
import { describe, expect, it } from 'vitest';
import { combineLanes, QUAD_BLOCK, quadLanesTs, quadWasm } from './log-ratio-wasm.js';

/** A deterministic generator (mulberry32) of floats in [0, 1). */
function uniforms(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Block {
  x: Float32Array;
  mu: Float32Array;
  sigma: Float64Array;
}

function block(seed: number, scale: (u: number) => number): Block {
  const next = uniforms(seed);
  const x = new Float32Array(QUAD_BLOCK);
  const mu = new Float32Array(QUAD_BLOCK);
  const sigma = new Float64Array(QUAD_BLOCK);
  for (let i = 0; i < QUAD_BLOCK; i++) {
    x[i] = scale(next()) * (next() - 0.5);
    mu[i] = scale(next()) * (next() - 0.5);
    sigma[i] = scale(next()) * (next() + 1e-3);
  }
  return { x, mu, sigma };
}

/** The sum the module gives for the first `count` elements, its tail in TypeScript. */
function byWasm(b: Block, count: number, priorMu: number, priorInv: number): Float64Array {
  const wasm = quadWasm!;
  wasm.x.set(b.x.subarray(0, count));
  wasm.mu.set(b.mu.subarray(0, count));
  wasm.sigma.set(b.sigma.subarray(0, count));
  const fours = count >> 2;
  wasm.quad(fours, priorMu, priorInv);
  const lanes = Float64Array.from(wasm.lanes);
  quadLanesTs(b.x, b.mu, b.sigma, 4 * fours, count, priorMu, priorInv, lanes);
  return lanes;
}

function byTs(b: Block, count: number, priorMu: number, priorInv: number): Float64Array {
  const lanes = new Float64Array(4);
  quadLanesTs(b.x, b.mu, b.sigma, 0, count, priorMu, priorInv, lanes);
  return lanes;
}

const SCALES: [string, (u: number) => number][] = [
  ['ordinary values', () => 2],
  ['magnitudes from 1e-30 to 1e30', (u) => 10 ** (60 * u - 30)],
  ['subnormal float64 σ and float32 extremes', (u) => (u < 0.5 ? 3e38 : 1e-310)],
];

describe.skipIf(quadWasm === null)('log-ratio-wasm', () => {
  for (const [label, scale] of SCALES) {
    it(`${label}: the lane sums are bitwise the TypeScript's for every count`, () => {
      const b = block(label.length, scale);
      for (const count of [0, 1, 2, 3, 4, 5, 7, 8, 9, 63, 1000, 2047, QUAD_BLOCK]) {
        for (const [priorMu, priorInv] of [
          [0, 10],
          [0.3, 1 / 0.7],
          [-1e20, 1e-25],
        ] as const) {
          const wasm = byWasm(b, count, priorMu, priorInv);
          const ts = byTs(b, count, priorMu, priorInv);
          // Object.is tells NaN from NaN and −0 from +0 as bit comparisons would.
          for (let lane = 0; lane < 4; lane++) {
            expect(Object.is(wasm[lane], ts[lane]), `count ${count}, lane ${lane}`).toBe(true);
          }
          expect(Object.is(combineLanes(wasm), combineLanes(ts))).toBe(true);
        }
      }
    });
  }

  it('adds element i to lane i mod 4', () => {
    const b = block(7, () => 2);
    const lanes = byWasm(b, 12, 0.1, 2);
    for (let lane = 0; lane < 4; lane++) {
      let sum = 0;
      for (let i = lane; i < 12; i += 4) {
        const z = ((b.x[i] as number) - (b.mu[i] as number)) / (b.sigma[i] as number);
        const zp = ((b.x[i] as number) - 0.1) * 2;
        sum += zp * zp - z * z;
      }
      expect(lanes[lane]).toBe(sum);
    }
  });
});
