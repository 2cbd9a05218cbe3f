/**
 * The WebAssembly softplus table against `fast-math.ts`'s `softplus`: bitwise the same value for
 * every rho inside the tables, and the elements outside (|rho| ≥ 16, NaN) counted and left alone.
 */
import { describe, expect, it } from 'vitest';
import { values } from '../test-helpers.js';
import { softplus, softplusTable } from './fast-math.js';
import { SOFTPLUS_BLOCK, softplusWasm } from './softplus-wasm.js';

describe.skipIf(softplusWasm === null)('softplus-wasm', () => {
  const sp = softplusWasm!;

  it('gives the bits of softplus across [−16, 16], ends of pieces included', () => {
    const inside = [
      ...values(SOFTPLUS_BLOCK - 40, -16, 16, 5),
      -15.999999,
      15.999999,
      Math.fround(16 - 2 ** -20),
      -Math.fround(16 - 2 ** -20),
      0,
      -0,
      1e-45,
      -1e-45,
      1 / 128,
      -1 / 128,
      2.5 / 128,
      -3,
      -7,
      0.5413,
    ];
    // Counts from 1 (the loop's edges) to all of them (the special values come last).
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 1000, inside.length]) {
      const rho = Float32Array.from(inside.slice(-n));
      sp.rho.set(rho);
      expect(sp.softplus(n)).toBe(0);
      for (let i = 0; i < n; i++) {
        const want = softplus(rho[i] as number);
        expect(Object.is(sp.sigma[i], want), `rho ${rho[i]}: ${sp.sigma[i]} against ${want}`).toBe(
          true,
        );
      }
    }
  });

  it('counts the elements outside the tables and writes only the rest', () => {
    const rho = Float32Array.from([-16, 16, 0.25, Number.NaN, -1e30, 3e38, -2, 20]);
    sp.rho.set(rho);
    sp.sigma.fill(-1, 0, rho.length);
    expect(sp.softplus(rho.length)).toBe(6);
    rho.forEach((r, i) => {
      const inside = Math.abs(r) < softplusTable.limit;
      expect(sp.sigma[i]).toBe(inside ? softplus(r) : -1);
    });
  });
});
