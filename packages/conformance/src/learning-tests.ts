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
  setFusedKernels,
  sizeOf,
  type Tensor,
  tensor,
  tidy,
  Variable,
  valueAndGrad,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { type SuiteContext, take, worstError } from './context.js';
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

/**
 * The float32 roundings in one of core's composed Adam steps: 13 elementwise kernels (m: 2 mul,
 * add; v: square, 2 mul, add; the update: mul, sqrt, add, div, mul, sub), and 7 number operands
 * made float32 scalars (beta1, 1−beta1, beta2, 1−beta2, 1/c2, epsilon, lr/c1). The fused kernel
 * rounds only its stored results, so the two paths may differ by about this many roundings of
 * the sizes a step is computed from (see {@link adamScale}).
 */
const ADAM_ROUNDINGS = 20;

/** Deterministic values of every sign and of sizes from 1e-5 to 10, some zero (step `s`). */
function adamGradient(n: number, s: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) =>
    i % 11 === 10 ? 0 : Math.sin(1.7 * i + 3.1 * s) * 10 ** ((i % 7) - 5),
  );
}

/**
 * How far the fused and composed Adam paths may drift apart over `grads`, in units of the
 * backend's epsilon, by Adam in float64 on `param`: at each step both paths round the new
 * parameter (twice `|param|`), and the composed update carries up to {@link ADAM_ROUNDINGS}
 * roundings of `U = (lr/c1)·M/(sqrt(V/c2) + epsilon)`, where M and V are the moments of `|g|` and
 * g² (where the moment `m` cancels to nearly nothing, its rounding errors do not).
 */
function adamScale(
  param: Float32Array,
  grads: readonly Float32Array[],
  h: { lr: number; beta1: number; beta2: number; epsilon: number },
): Float64Array {
  const n = param.length;
  const p = Float64Array.from(param);
  const m = new Float64Array(n);
  const big = new Float64Array(n);
  const v = new Float64Array(n);
  const scale = new Float64Array(n);
  grads.forEach((g, s) => {
    const c1 = 1 - h.beta1 ** (s + 1);
    const c2 = 1 - h.beta2 ** (s + 1);
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      m[i] = h.beta1 * m[i]! + (1 - h.beta1) * gi;
      big[i] = h.beta1 * big[i]! + (1 - h.beta1) * Math.abs(gi);
      v[i] = h.beta2 * v[i]! + (1 - h.beta2) * gi * gi;
      const denominator = Math.sqrt(v[i]! / c2) + h.epsilon;
      const update = ((h.lr / c1) * big[i]!) / denominator;
      scale[i] = scale[i]! + 2 * Math.abs(p[i]!) + ADAM_ROUNDINGS * update;
      p[i] = p[i]! - ((h.lr / c1) * m[i]!) / denominator;
    }
  });
  return scale;
}

export function learningTests(ctx: SuiteContext): void {
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

    it('Adam: the fused adamUpdate, where the backend has it, agrees with the composed ops', async (test) => {
      const backend = ctx.backend();
      if (!backend.kernels.adamUpdate) test.skip();
      const before = memory().numTensors;
      // A matrix large enough for a backend to split it between threads, a vector, a scalar.
      const shapes = [[257, 300], [7], []];
      const initial = shapes.map((shape) =>
        // Sizes from 1e-4 to 1, so that some steps are larger than their parameter.
        Float32Array.from(
          { length: sizeOf(shape) },
          (_, i) => Math.cos(0.37 * i) * 10 ** ((i % 5) - 4),
        ),
      );
      const steps = 5;
      const grads = shapes.map((shape) =>
        Array.from({ length: steps }, (_, s) => adamGradient(sizeOf(shape), s)),
      );
      const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
      /** The parameters after `steps` steps, each fused where `fused(step)` says so. */
      const run = async (fused: (step: number) => boolean) => {
        const params = shapes.map((shape, k) => Variable.from(tensor(initial[k]!, shape)));
        const adam = new Adam(params, h);
        try {
          for (let s = 0; s < steps; s++) {
            const g = shapes.map((shape, k) => tensor(grads[k]![s]!, shape));
            setFusedKernels(fused(s));
            try {
              adam.step(g);
            } finally {
              setFusedKernels(true);
              for (const t of g) t.dispose();
            }
          }
          return await Promise.all(params.map((p) => p.data()));
        } finally {
          adam.dispose();
          for (const p of params) p.dispose();
        }
      };
      const composed = await run(() => false);
      const fused = await run(() => true);
      // The state is the same kind of tensor either way, so the paths may alternate.
      const mixed = await run((s) => s % 2 === 0);
      shapes.forEach((shape, k) => {
        const scale = adamScale(initial[k]!, grads[k]!, h);
        for (const [label, got] of [
          ['fused', fused[k]!],
          ['alternating', mixed[k]!],
        ] as const) {
          expect(
            worstError(got, composed[k]!, backend.epsilon, 1e-37, scale),
            `${label} against composed, shape [${shape.join(', ')}]`,
          ).toBeLessThanOrEqual(1);
        }
      });
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
