import {
  Adam,
  ELBOLoss,
  GaussianDistribution,
  KLDivergenceLoss,
  Linear,
  type Module,
  matMul,
  memory,
  mseLoss,
  ReLU,
  Sequential,
  SGD,
  type Tensor,
  tensor,
  tidy,
  type Variable,
  valueAndGrad,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { take } from './context.js';
import { relativeError, softplus64 } from './reference.js';

/** The closed-form KL of N(mu, softplus(rho)²) from N(muPrior, stdPrior²), in float64. */
function klDivergence64(
  mu: Float32Array,
  rho: Float32Array,
  muPrior: number,
  stdPrior: number,
): number {
  let total = 0;
  for (let i = 0; i < mu.length; i++) {
    const s = softplus64(rho[i]!);
    total += Math.log(stdPrior / s) + (s * s + (mu[i]! - muPrior) ** 2) / (2 * stdPrior ** 2) - 0.5;
  }
  return total;
}

export function learningTests(): void {
  describe('learning: layers, losses, optimizers', () => {
    it('klDivergence() is the closed form, from rho −20 to 80', async () => {
      for (const rhoInit of [-20, -5, 0, 5, 80]) {
        const dist = new GaussianDistribution([1000], {
          rhoInit,
          muPrior: 0.1,
          stdPrior: 0.5,
          rng: 3,
        });
        const [mu, rho] = await Promise.all(dist.parameters().map((p) => p.data()));
        const kl = (await take(dist.klDivergence()))[0]!;
        dist.dispose();
        expect(
          relativeError(kl, klDivergence64(mu!, rho!, 0.1, 0.5)),
          `rho ≈ ${rhoInit}`,
        ).toBeLessThan(1e-4);
      }
    });

    it('Linear is x·Wᵀ + b; freeze keeps a sample or the means; unfreeze samples again', async () => {
      const layer = new Linear(3, 2, { rng: 4 });
      expect(layer.parameters()).toHaveLength(4);
      const x = tensor([1, 2, 3, -1, 0.5, 0], [2, 3]);
      layer.freeze('mean');
      const atMean = await take(layer.forward(x));
      const expected = await take(matMul(x, layer.weights.mu, { transposeB: true }));
      const bias = await layer.bias!.mu.data();
      atMean.forEach((v, i) => {
        expect(v).toBeCloseTo(expected[i]! + bias[i % 2]!, 5);
      });
      layer.unfreeze();
      const a = await take(layer.forward(x));
      layer.freeze();
      const frozen1 = await take(layer.forward(x));
      const frozen2 = await take(layer.forward(x));
      expect(frozen2).toEqual(frozen1);
      expect(frozen1).not.toEqual(atMean);
      layer.unfreeze();
      const b = await take(layer.forward(x));
      expect(b).not.toEqual(a);
      x.dispose();
      layer.dispose();
    });

    it('klCost: closed is the sum of the distributions’ KL; mc needs a forward pass', async () => {
      const layer = new Linear(4, 3, { rng: 5 });
      expect(() => layer.klCost('mc')).toThrow(/forward/);
      const closed = layer.klCost('closed');
      expect(closed.numParams).toBe(15);
      const separate =
        (await take(layer.weights.klDivergence()))[0]! +
        (await take(layer.bias!.klDivergence()))[0]!;
      expect(relativeError((await take(closed.kl))[0]!, separate)).toBeLessThan(1e-5);
      layer.dispose();
    });

    it('KLDivergenceLoss divides by the total parameter count of every Bayesian module', async () => {
      const a = new Linear(5, 4, { rng: 6 });
      const b = new Linear(4, 2, { rng: 7 });
      const model = new Sequential(a, new ReLU(), b);
      const total =
        (await take(a.klCost('closed').kl))[0]! + (await take(b.klCost('closed').kl))[0]!;
      const loss = (
        await take(tidy(() => new KLDivergenceLoss({ weight: 3, method: 'closed' }).call(model)))
      )[0]!;
      expect(relativeError(loss, (3 * total) / (24 + 10))).toBeLessThan(1e-5);
      model.dispose();
    });

    it('ELBOLoss runs the model once per sample and averages', async () => {
      const layer = new Linear(2, 1, { rng: 8 });
      let calls = 0;
      const counted: Module = {
        forward: (x: Tensor) => {
          calls += 1;
          return layer.forward(x);
        },
        parameters: () => layer.parameters(),
        dispose: () => layer.dispose(),
      };
      Object.assign(counted, { modules: [layer] });
      const x = tensor([1, 2, 3, 4], [2, 2]);
      const y = tensor([0, 1], [2, 1]);
      const loss = tidy(() => new ELBOLoss(mseLoss, { numSamples: 3 }).call(counted, x, y));
      expect(calls).toBe(3);
      expect(Number.isFinite((await take(loss))[0])).toBe(true);
      x.dispose();
      y.dispose();
      layer.dispose();
    });

    it('SGD and Adam update variables in place by their rules, leaking nothing', async () => {
      const before = memory().numTensors;
      const dist = new GaussianDistribution([3], { rng: 9 });
      const params: Variable[] = dist.parameters();
      const mu0 = await dist.mu.data();
      const g = [tensor([1, -2, 0.5], [3]), tensor([0, 0, 0], [3])];
      const sgd = new SGD(params, { lr: 0.1, momentum: 0.9 });
      sgd.step(g);
      const mu1 = await dist.mu.data();
      mu1.forEach((v, i) => {
        expect(v).toBeCloseTo(mu0[i]! - 0.1 * [1, -2, 0.5][i]!, 6);
      });
      sgd.step(g); // v = 0.9·g + g
      const mu2 = await dist.mu.data();
      mu2.forEach((v, i) => {
        expect(v).toBeCloseTo(mu1[i]! - 0.1 * 1.9 * [1, -2, 0.5][i]!, 5);
      });
      sgd.dispose();
      const adam = new Adam(params, { lr: 0.01 });
      adam.step(g);
      const mu3 = await dist.mu.data();
      // Adam's first step moves each parameter by lr against the sign of its gradient.
      mu3.forEach((v, i) => {
        expect(v).toBeCloseTo(mu2[i]! - 0.01 * Math.sign([1, -2, 0.5][i]!), 5);
      });
      expect(() => adam.step([g[0]!])).toThrow(/one gradient per parameter \(2\), got 1/);
      adam.dispose();
      for (const t of g) t.dispose();
      expect(dist.mu).toBe(params[0]);
      dist.dispose();
      expect(memory().numTensors).toBe(before);
    });

    it('a Bayesian Linear learns y = 2x + 1 by the ELBO', async () => {
      const layer = new Linear(1, 1, {
        rng: 10,
        weightsDistribution: { stdPrior: 1, rhoInit: -5 },
        biasDistribution: { stdPrior: 1, rhoInit: -5 },
      });
      const xs = Array.from({ length: 32 }, (_, i) => i / 16 - 1);
      const x = tensor(xs, [32, 1]);
      const y = tensor(
        xs.map((v) => 2 * v + 1),
        [32, 1],
      );
      const elbo = new ELBOLoss(mseLoss, { klWeight: 1e-3 });
      const optimizer = new Adam(layer.parameters(), { lr: 0.05 });
      let first = Number.NaN;
      let last = Number.NaN;
      for (let step = 0; step < 300; step++) {
        const { value, grads } = valueAndGrad(() => elbo.call(layer, x, y), layer.parameters());
        optimizer.step(grads);
        const loss = (await take(value))[0]!;
        if (step === 0) first = loss;
        last = loss;
        for (const gr of grads) gr.dispose();
      }
      expect(last).toBeLessThan(first / 10);
      expect((await layer.weights.mu.data())[0]).toBeCloseTo(2, 1);
      expect((await layer.bias!.mu.data())[0]).toBeCloseTo(1, 1);
      optimizer.dispose();
      x.dispose();
      y.dispose();
      layer.dispose();
    });
  });
}
