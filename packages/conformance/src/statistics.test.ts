import { describe, expect, it } from 'vitest';
import { erf, ksCritical, ksStatistic, normalCdf } from './statistics.js';

describe('statistics', () => {
  it('erf matches tabulated values to 1e-14', () => {
    // Abramowitz & Stegun table 7.1 and high-precision values.
    const table: Array<[number, number]> = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [-1.5, -0.9661051464753108],
    ];
    for (const [x, value] of table) expect(Math.abs(erf(x) - value)).toBeLessThan(1e-14);
  });

  it('normalCdf is accurate in the tails', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(Math.abs(normalCdf(-5) / 2.866515718791939e-7 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(normalCdf(1.959963984540054) - 0.975)).toBeLessThan(1e-14);
  });

  it('KS rejects a wrong distribution and accepts the right one', () => {
    const n = 100_000;
    // Quantiles of N(0,1) at (i + 0.5)/n by bisection: a perfect sample.
    const quantile = (p: number) => {
      let lo = -10;
      let hi = 10;
      for (let k = 0; k < 80; k++) {
        const mid = (lo + hi) / 2;
        if (normalCdf(mid) < p) lo = mid;
        else hi = mid;
      }
      return (lo + hi) / 2;
    };
    const perfect = Float64Array.from({ length: n }, (_, i) => quantile((i + 0.5) / n));
    expect(ksStatistic(perfect, normalCdf)).toBeLessThan(ksCritical(n));
    // A 5% scale error or a shift of 0.05 is caught at this n (D ≈ 0.012 and 0.02 against 0.0085).
    const scaled = perfect.map((v) => v * 1.05);
    expect(ksStatistic(scaled, normalCdf)).toBeGreaterThan(ksCritical(n));
    const shifted = perfect.map((v) => v + 0.05);
    expect(ksStatistic(shifted, normalCdf)).toBeGreaterThan(ksCritical(n));
    // The critical value at p = 1e-6: about 2.69/√n.
    expect(ksCritical(n) * Math.sqrt(n)).toBeCloseTo(2.69, 1);
  });
});
