import {
  add,
  GaussianDistribution,
  memory,
  mul,
  randomNormal,
  rng,
  setFusedKernels,
  setSeed,
  softplus,
  tensor,
  tidy,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { f32, type SuiteContext, take, worstError } from './context.js';
import { expectStandardNormal, expectUncorrelated } from './random-tests.js';
import { gaussianLogRatio64, relativeError, softplus64 } from './reference.js';
import {
  meanStandardError,
  meanVariance,
  STANDARD_ERRORS,
  varianceStandardError,
} from './statistics.js';

/** The README's promise: logProb within 1e-4 relative error of a float64 reference. */
const LOG_PROB_RELATIVE = 1e-4;

/** Reads mu, rho, sigma and a draw of a distribution. */
async function snapshot(dist: GaussianDistribution, seed: number) {
  const [mu, rho] = await Promise.all(dist.parameters().map((p) => p.data()));
  const sigma = await take(dist.sigma());
  const x = await take(dist.sample(rng(seed)));
  return { mu: mu!, rho: rho!, sigma, x };
}

/** Standardised draws (x − mu) / sigma, in float64. */
function standardise(x: Float32Array, mu: Float32Array, sigma: Float32Array): Float64Array {
  return Float64Array.from(x, (xi, i) => (xi - (mu[i] as number)) / (sigma[i] as number));
}

/** |mu| + |x − mu|: the sizes of the two terms a draw x = mu + sigma·eps is summed from. */
function termScale(mu: Float32Array, x: Float32Array): Float64Array {
  return Float64Array.from(mu, (m, i) => Math.abs(m) + Math.abs((x[i] as number) - m));
}

/** Checks logProb(x) of `dist` against the float64 reference. */
async function expectLogProbMatches(dist: GaussianDistribution, seed: number): Promise<void> {
  const [mu, rho] = await Promise.all(dist.parameters().map((p) => p.data()));
  const draw = dist.sample(rng(seed));
  const x = await draw.data();
  const got = await take(dist.logProb(draw));
  draw.dispose();
  const ref = gaussianLogRatio64(x, mu!, rho!, dist.muPrior, dist.stdPrior);
  expect(Number.isFinite(got[0]), 'logProb is finite').toBe(true);
  // The test means something only where the sum does not cancel to nothing.
  expect(Math.abs(ref.value)).toBeGreaterThan(1e-3 * ref.magnitude);
  expect(relativeError(got[0] as number, ref.value)).toBeLessThan(LOG_PROB_RELATIVE);
}

export function gaussianTests(ctx: SuiteContext): void {
  describe('GaussianDistribution', () => {
    it('has the shape, parameters and numParams of illia', async () => {
      const before = memory().numTensors;
      const dist = new GaussianDistribution([3, 4], { rng: 1 });
      expect(dist.shape).toEqual([3, 4]);
      expect(dist.numParams).toBe(12);
      const [mu, rho] = dist.parameters();
      expect(mu).toBe(dist.mu);
      expect(rho).toBe(dist.rho);
      expect(mu.shape).toEqual([3, 4]);
      expect(rho.shape).toEqual([3, 4]);
      expect(dist.muPrior).toBe(0);
      expect(dist.stdPrior).toBe(0.1);
      expect(memory().numTensors).toBe(before + 2);
      dist.dispose();
      expect(memory().numTensors).toBe(before);
      expect(() => dist.sample()).toThrow(/after dispose/);
    });

    it('initialises mu and rho as init + 0.1·N(0,1), independently', async () => {
      const n = 100_000;
      const dist = new GaussianDistribution([n], { muInit: 0.5, rhoInit: -3, rng: 11 });
      const [mu, rho] = await Promise.all(dist.parameters().map((p) => p.data()));
      dist.dispose();
      for (const [values, init] of [
        [mu!, 0.5],
        [rho!, -3],
      ] as const) {
        const { mean, variance } = meanVariance(values);
        expect(Math.abs(mean - init)).toBeLessThan(STANDARD_ERRORS * meanStandardError(0.1, n));
        expect(Math.abs(variance - 0.01)).toBeLessThan(
          STANDARD_ERRORS * varianceStandardError(0.01, n),
        );
      }
      expectUncorrelated(mu!, rho!, 'mu and rho');
    });

    it('tensors made in a tidy scope survive as parameters', async () => {
      let dist: GaussianDistribution | undefined;
      tidy(() => {
        dist = new GaussianDistribution([5], { rng: 3 });
      });
      if (!dist) throw new Error('unreachable');
      expect(dist.mu.isDisposed).toBe(false);
      expect((await dist.mu.data()).length).toBe(5);
      dist.dispose();
    });

    it('sigma() is softplus(rho), finite and positive for rho from −20 to 80', async () => {
      for (const rhoInit of [-20, -10, -7, -1, 0, 1, 10, 40, 80]) {
        const dist = new GaussianDistribution([1000], { rhoInit, rng: 4 });
        const rho = await dist.rho.data();
        const sigma = await take(dist.sigma());
        dist.dispose();
        expect(
          sigma.every((s) => Number.isFinite(s) && s > 0),
          `sigma at rho ≈ ${rhoInit}`,
        ).toBe(true);
        expect(
          worstError(sigma, Array.from(rho, softplus64), ctx.backend().epsilon),
          `softplus error at rho ≈ ${rhoInit}, in float32 roundings`,
        ).toBeLessThanOrEqual(8);
      }
    });

    it('sample() is mu + sigma·N(0,1): KS, mean and variance of (x − mu)/sigma', async () => {
      for (const rhoInit of [-7, -2]) {
        const dist = new GaussianDistribution([1000, 1000], { muInit: 0.3, rhoInit, rng: 5 });
        const { mu, sigma, x } = await snapshot(dist, 50);
        dist.dispose();
        expectStandardNormal(standardise(x, mu, sigma));
      }
    });

    it('each element has mean mu and standard deviation sigma over many draws', async () => {
      const draws = 4000;
      const dist = new GaussianDistribution([4], { muInit: 1, rhoInit: -1, rng: 6 });
      const mu = await dist.mu.data();
      const sigma = await take(dist.sigma());
      const columns = Array.from({ length: 4 }, () => new Float64Array(draws));
      for (let d = 0; d < draws; d++) {
        const x = await take(dist.sample());
        x.forEach((v, i) => {
          columns[i]![d] = v;
        });
      }
      dist.dispose();
      columns.forEach((column, i) => {
        const s = sigma[i] as number;
        const { mean, variance } = meanVariance(column);
        expect(Math.abs(mean - (mu[i] as number)), `mean of element ${i}`).toBeLessThan(
          STANDARD_ERRORS * meanStandardError(s, draws),
        );
        expect(Math.abs(variance - s * s), `variance of element ${i}`).toBeLessThan(
          STANDARD_ERRORS * varianceStandardError(s * s, draws),
        );
      });
    });

    it('every sample() is fresh: successive draws and neighbours are uncorrelated', async () => {
      const dist = new GaussianDistribution([200_000], { rhoInit: -2, rng: 7 });
      const mu = await dist.mu.data();
      const sigma = await take(dist.sigma());
      const z1 = standardise(await take(dist.sample()), mu, sigma);
      const z2 = standardise(await take(dist.call()), mu, sigma);
      dist.dispose();
      expect(z2).not.toEqual(z1);
      expectUncorrelated(z1, z2, 'successive samples');
      expectUncorrelated(z1.subarray(1), z1.subarray(0, z1.length - 1), 'neighbouring elements');
    });

    it('sample(rng) is mu + softplus(rho)·randomNormal(shape, rng) with the same key', async () => {
      const dist = new GaussianDistribution([3000], { muInit: 0.2, rhoInit: -1, rng: 8 });
      const mu = await dist.mu.data();
      const fused = await take(dist.sample(rng(99)));
      const composed = await take(
        tidy(() => add(dist.mu, mul(softplus(dist.rho), randomNormal(dist.shape, rng(99))))),
      );
      dist.dispose();
      // Both are a float32 sum of a product: a few roundings of the sizes of the two terms.
      const scale = termScale(mu, composed);
      expect(worstError(fused, composed, ctx.backend().epsilon, 1e-30, scale)).toBeLessThanOrEqual(
        8,
      );
    });

    it('the same seed reproduces parameters and samples; call() is sample()', async () => {
      const a = new GaussianDistribution([500], { rng: 21 });
      const b = new GaussianDistribution([500], { rng: rng(21) });
      const c = new GaussianDistribution([500], { rng: 22 });
      expect(await b.mu.data()).toEqual(await a.mu.data());
      expect(await b.rho.data()).toEqual(await a.rho.data());
      expect(await c.mu.data()).not.toEqual(await a.mu.data());
      expect(await take(b.sample())).toEqual(await take(a.call()));
      expect(await take(b.sample(rng(3)))).toEqual(await take(a.sample(rng(3))));
      for (const d of [a, b, c]) d.dispose();
    });

    it('by default distributions share the global generator and never a stream', async () => {
      setSeed(9);
      const a = new GaussianDistribution([1000]);
      const b = new GaussianDistribution([1000]);
      setSeed(9);
      const a2 = new GaussianDistribution([1000]);
      expect(await a2.mu.data()).toEqual(await a.mu.data());
      expect(await b.mu.data()).not.toEqual(await a.mu.data());
      expectUncorrelated(await a.mu.data(), await b.mu.data(), 'two default distributions');
      for (const d of [a, b, a2]) d.dispose();
      setSeed(0);
    });

    const shapes: number[][] = [[], [1], [7], [3, 4], [10, 10, 10], [1000, 1000]];
    for (const shape of shapes) {
      it(`logProb(x) matches float64 within 1e-4 for shape [${shape.join(', ')}]`, async () => {
        const dist = new GaussianDistribution(shape, { rng: 12 });
        const atMean = dist.logProb(dist.mu);
        expect(atMean.shape).toEqual([]);
        atMean.dispose();
        await expectLogProbMatches(dist, 13);
        dist.dispose();
      });
    }

    it('logProb stays finite and accurate for rho from −20 to 80 and other priors', async () => {
      const cases = [
        { rhoInit: -20 },
        { rhoInit: -10, muPrior: 0.5 },
        { rhoInit: 0, stdPrior: 1 },
        { rhoInit: 5, stdPrior: 3, muInit: -2 },
        { rhoInit: 20 },
        { rhoInit: 80, muPrior: -1, stdPrior: 0.01 },
      ];
      for (const options of cases) {
        const dist = new GaussianDistribution([10_000], { ...options, rng: 14 });
        await expectLogProbMatches(dist, 15);
        dist.dispose();
      }
    });

    it('logProb() with no x scores a fresh sample', async () => {
      const a = new GaussianDistribution([1000], { rng: 31 });
      const b = new GaussianDistribution([1000], { rng: 31 });
      const withoutX = await take(a.logProb());
      const draw = b.sample();
      const withX = await take(b.logProb(draw));
      draw.dispose();
      expect(relativeError(withoutX[0] as number, withX[0] as number)).toBeLessThan(
        8 * ctx.backend().epsilon,
      );
      const again = await take(a.logProb());
      expect(again[0]).not.toBe(withoutX[0]);
      a.dispose();
      b.dispose();
    });

    it('setParameters() replaces mu and rho and frees the old ones', async () => {
      const dist = new GaussianDistribution([3], { rng: 2 });
      const before = memory().numTensors;
      dist.setParameters({ mu: tensor([1, 2, 3], [3]), rho: tensor([0, 0, 0], [3]) });
      expect(memory().numTensors).toBe(before);
      expect(Array.from(await dist.mu.data())).toEqual([1, 2, 3]);
      const sigma = await take(dist.sigma());
      expect(
        worstError(sigma, [Math.LN2, Math.LN2, Math.LN2], ctx.backend().epsilon),
      ).toBeLessThanOrEqual(8);
      dist.dispose();
    });

    it('fused kernels, where the backend has them, agree with the composed primitives', async (test) => {
      const backend = ctx.backend();
      if (!backend.kernels.gaussianSample && !backend.kernels.gaussianLogRatio) test.skip();
      const dist = new GaussianDistribution([50_000], { muInit: 0.1, rhoInit: -3, rng: 41 });
      const run = async (fused: boolean) => {
        setFusedKernels(fused);
        try {
          const draw = dist.sample(rng(42));
          const x = await draw.data();
          const lp = await take(dist.logProb(draw));
          draw.dispose();
          return { x, lp: lp[0] as number };
        } finally {
          setFusedKernels(true);
        }
      };
      const mu = await dist.mu.data();
      const fused = await run(true);
      const composed = await run(false);
      dist.dispose();
      const scale = termScale(mu, composed.x);
      expect(worstError(fused.x, composed.x, backend.epsilon, 1e-30, scale)).toBeLessThanOrEqual(8);
      expect(relativeError(fused.lp, composed.lp)).toBeLessThan(LOG_PROB_RELATIVE);
    });

    it('keeps a user value exactly: float32 inputs stay float32', async () => {
      const t = tensor(f32([0.1]), [1]);
      expect((await take(t))[0]).toBe(Math.fround(0.1));
    });
  });
}
