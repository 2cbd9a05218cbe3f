import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { firstDifference, floatsOf, runKernel, values } from '../test-helpers.js';
import { testWorkerUrl } from './test-worker.js';

const one = new CpuBackend({ threads: 1 });
const uncached = new CpuBackend({ threads: 1, sigmaCache: false });
let two: CpuBackend;

describe('cpu kernels give bitwise the same results on 1 and 2 threads, cached or not', {
  timeout: 60_000,
}, () => {
  it('starts a worker', async () => {
    two = new CpuBackend({ threads: 2, parallelThreshold: 1, workerUrl: await testWorkerUrl() });
    expect(await two.whenReady()).toBe(2);
    // Workers start at the default threshold too (matmul.test.ts compares matMul on such a backend).
    const twoDefault = new CpuBackend({ threads: 2, workerUrl: await testWorkerUrl() });
    expect(await twoDefault.whenReady()).toBe(2);
  });

  for (const n of [1, 2047, 2048, 2049, 10_000, 300_001]) {
    it(`randomNormal, gaussianSample and gaussianLogRatio at ${n} elements`, () => {
      const key = { seed: 7, counter: n };
      const prior = { mu: 0.1, std: 0.2 };
      const results = [one, uncached, two].map((b) => {
        const mu = b.makeTensor(values(n, -1, 1, 1), [n]);
        const rho = b.makeTensor(values(n, -20, 20, 2), [n]);
        const x = b.makeTensor(values(n, -2, 2, 3), [n]);
        const eps = floatsOf(b, runKernel(b, 'randomNormal', [], { key, shape: [n] }, [n]));
        const sample = () => runKernel(b, 'gaussianSample', [mu, rho], { key }, [n]);
        const draws = [sample(), sample()];
        const logRatio = floatsOf(
          b,
          runKernel(b, 'gaussianLogRatio', [x, mu, rho], { prior }, []),
        )[0];
        return { eps, draws: draws.map((d) => floatsOf(b, d)), logRatio };
      });
      const [a, u, t] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
      for (const other of [u, t]) {
        expect(firstDifference(other.eps, a.eps), 'randomNormal').toBe(-1);
        expect(firstDifference(other.draws[0] as Float32Array, a.draws[0] as Float32Array)).toBe(
          -1,
        );
        expect(firstDifference(other.draws[1] as Float32Array, a.draws[0] as Float32Array)).toBe(
          -1,
        );
        expect(Object.is(other.logRatio, a.logRatio)).toBe(true);
      }
    });
  }
});
