import { type Backend, GaussianDistribution, setBackend, tensor } from '@illia-ts/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { f32, take } from './context.js';
import { gaussianLogRatio64, relativeError, softplus64 } from './reference.js';

/** A backend name and whether its package is installed, as the cross-backend test finds them. */
export interface BackendCandidate {
  readonly name: string;
  /** Why it is skipped (its package is not installed), or undefined if it is to be tested. */
  readonly missing?: string;
}

/** The deterministic inputs every backend gets: the same float32 values everywhere. */
export function crossBackendInputs(n: number): {
  mu: Float32Array;
  rho: Float32Array;
  x: Float32Array;
} {
  const mu = f32(Array.from({ length: n }, (_, i) => 0.3 * Math.sin(i)));
  // rho sweeps −20…80 (golden-ratio steps), so sigma spans 2e-9 to 80.
  const rho = f32(Array.from({ length: n }, (_, i) => -20 + 100 * ((i * 0.6180339887498949) % 1)));
  const x = f32(
    Array.from(
      { length: n },
      (_, i) => (mu[i] as number) + softplus64(rho[i] as number) * Math.cos(3 * i),
    ),
  );
  return { mu, rho, x };
}

/**
 * Registers a test that runs the same deterministic inputs through every installed backend and
 * checks that `logProb` agrees with the float64 reference and across backends (relative 1e-4).
 */
export function describeCrossBackend(candidates: readonly BackendCandidate[]): void {
  const sizes = [1, 1000, 1_000_000];
  describe('cross-backend agreement', () => {
    const results = new Map<string, Map<number, number>>();
    beforeAll(async () => {
      for (const candidate of candidates) {
        if (candidate.missing) continue;
        const backend: Backend = await setBackend(candidate.name);
        const values = new Map<number, number>();
        for (const n of sizes) {
          const { mu, rho, x } = crossBackendInputs(n);
          const dist = new GaussianDistribution([n], { rng: 1 });
          dist.setParameters({ mu: tensor(mu, [n]), rho: tensor(rho, [n]) });
          const xt = tensor(x, [n]);
          values.set(n, (await take(dist.logProb(xt)))[0] as number);
          xt.dispose();
          dist.dispose();
        }
        results.set(backend.name, values);
      }
    }, 120_000);

    for (const candidate of candidates) {
      it.skipIf(candidate.missing !== undefined)(
        `${candidate.name}: logProb matches float64 and every other backend within 1e-4${candidate.missing ? ` (skipped: ${candidate.missing})` : ''}`,
        () => {
          const mine = results.get(candidate.name);
          expect(mine, `results of ${candidate.name}`).toBeDefined();
          for (const n of sizes) {
            const { mu, rho, x } = crossBackendInputs(n);
            const ref = gaussianLogRatio64(x, mu, rho, 0, 0.1).value;
            const got = mine?.get(n) as number;
            expect(relativeError(got, ref), `${candidate.name} at n = ${n}`).toBeLessThan(1e-4);
            for (const [other, theirs] of results) {
              expect(
                relativeError(got, theirs.get(n) as number),
                `${candidate.name} vs ${other}`,
              ).toBeLessThan(1e-4);
            }
          }
        },
      );
    }
  });
}
