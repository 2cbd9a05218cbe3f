/**
 * What an adversarial user found broken (lost data, silent NaNs, crashes on huge shapes), each a
 * test on every backend. The rows of the hardening issue are named in the test titles.
 */
import {
  Adam,
  add,
  Conv2d,
  ELBOLoss,
  Embedding,
  GaussianDistribution,
  grad,
  Linear,
  log,
  type Module,
  mseLoss,
  mul,
  ReLU,
  randomNormal,
  Sequential,
  SGD,
  setDebug,
  softplus,
  sum,
  tensor,
  tidy,
  Variable,
  valueAndGrad,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './context.js';
import { take } from './context.js';
import { softplus64 } from './reference.js';

/** A module that returns its input. */
const passThrough: Module = { forward: (x) => x, parameters: () => [], dispose: () => {} };

/** log(softplus(rho)) in float64, finite for every finite rho. */
const logSoftplus64 = (x: number) =>
  x < -30 ? x + Math.log1p(-Math.exp(x) / 2) : Math.log(softplus64(x));

/** The closed-form KL of one element in float64. */
function kl64(mu: number, rho: number, muPrior: number, stdPrior: number): number {
  const sigma = softplus64(rho);
  return (
    Math.log(stdPrior) -
    logSoftplus64(rho) +
    ((sigma / stdPrior) ** 2 + ((mu - muPrior) / stdPrior) ** 2) / 2 -
    0.5
  );
}

export function hardeningTests(ctx: SuiteContext): void {
  describe('hardening: no lost data, nothing silently wrong', () => {
    it('row 4: grad keeps a parameter or outside tensor that f returns', async () => {
      const p = Variable.from(tensor([2]));
      const [g] = grad(() => p, [p]);
      expect(p.isDisposed).toBe(false);
      expect(await take(g!)).toEqual(Float32Array.of(1));
      const outside = tensor([3]);
      const { value, grads } = valueAndGrad(() => outside, [p]);
      expect(value).not.toBe(outside);
      value.dispose();
      for (const t of grads) t.dispose();
      expect(outside.isDisposed).toBe(false);
      expect(await take(outside)).toEqual(Float32Array.of(3));
      p.dispose();
    });

    it('row 5: Sequential keeps what a pass-through module returns, in the middle and last', async () => {
      const model = new Sequential(
        new Linear(2, 3, { rng: 1 }),
        passThrough,
        new ReLU(),
        passThrough,
      );
      const x = tensor([1, -1, 0.5, 2], [2, 2]);
      const y = model.forward(x);
      expect(y.isDisposed).toBe(false);
      expect((await take(y)).length).toBe(6);
      const z = tidy(() => model.forward(x));
      z.dispose();
      x.dispose();
      model.dispose();
    });

    it('row 6: a step with one bad gradient changes no parameter', async () => {
      const params = [0, 1, 2].map((i) => Variable.from(tensor([i + 1, i + 2])));
      const before = await Promise.all(params.map((p) => p.data()));
      for (const Optimizer of [Adam, SGD]) {
        const optimizer = new Optimizer(params, { lr: 0.1 });
        const grads = params.map(() => tensor([1, 1]));
        grads[2]!.dispose();
        expect(() => optimizer.step(grads)).toThrow(
          /step: grads\[2\] \(shape \[2\]\) was used after dispose\(\)/,
        );
        for (const g of grads) g.dispose();
        optimizer.dispose();
      }
      const after = await Promise.all(params.map((p) => p.data()));
      expect(after).toEqual(before);
      expect(() => new SGD([params[0]!, params[1]!, params[0]!])).toThrow(
        /SGD: params\[2\] is the same variable as params\[0\]/,
      );
      const plain = tensor([1]);
      expect(() => new Adam([plain as never])).toThrow(
        /Adam: params\[0\] must be a Variable .* got a plain Tensor/,
      );
      plain.dispose();
      for (const p of params) p.dispose();
    });

    it("row 6: setParameters copies another distribution's variable instead of taking it", async () => {
      const a = new GaussianDistribution([3], { rng: 1 });
      const b = new GaussianDistribution([3], { rng: 2 });
      b.setParameters({ mu: a.mu });
      expect(a.mu.isDisposed).toBe(false);
      expect(await b.mu.data()).toEqual(await a.mu.data());
      a.dispose();
      b.dispose();
    });

    it('row 7: the closed-form KL and its gradient stay finite and right for rho down to −1e4', async () => {
      const eps = ctx.backend().epsilon;
      for (const rho of [-1e4, -110, -100, -90, -20, 0, 5]) {
        const dist = new GaussianDistribution([1], { rng: 3 });
        dist.setParameters({ mu: tensor([0.05]), rho: tensor([rho]) });
        const rho32 = (await dist.rho.data())[0]!;
        const { value, grads } = valueAndGrad(() => dist.klDivergence(), dist.parameters());
        const kl = (await take(value))[0]!;
        const dRho = (await take(grads[1]!))[0]!;
        grads[0]!.dispose();
        const expected = kl64(0.05, rho32, 0, 0.1);
        expect(
          Math.abs(kl - expected),
          `KL at rho = ${rho}: ${kl} vs ${expected}`,
        ).toBeLessThanOrEqual(
          64 * eps * (Math.abs(expected) + Math.abs(Math.log(0.1)) + Math.abs(rho32)),
        );
        // d/drho = (σ²/std² − 1) · sigmoid(rho)/σ: −1 in the far tail.
        const s = softplus64(rho32);
        const sig = rho32 < -30 ? 1 : 1 / (1 + Math.exp(-rho32)) / s;
        const dExpected = ((s / 0.1) ** 2 - 1) * sig;
        expect(
          Math.abs(dRho - dExpected),
          `dKL/drho at rho = ${rho}: ${dRho} vs ${dExpected}`,
        ).toBeLessThanOrEqual(64 * eps * (Math.abs(dExpected) + 1));
        dist.dispose();
      }
    });

    it('row 7: sigma is positive for rho in [−87, 88] (float32 normal numbers)', async () => {
      const rhos = [-87, -80, -50, -20, -1, 0, 1, 20, 88];
      const dist = new GaussianDistribution([rhos.length], { rng: 4 });
      dist.setParameters({ rho: tensor(rhos) });
      const sigma = await take(dist.sigma());
      for (let i = 0; i < rhos.length; i++)
        expect(sigma[i], `sigma at rho = ${rhos[i]}`).toBeGreaterThan(0);
      dist.dispose();
    });

    it('row 8: a huge mean with a huge prior, or a tiny prior, gives a finite KL and gradient', async () => {
      const eps = ctx.backend().epsilon;
      const big = new GaussianDistribution([1], { stdPrior: 1e30, rng: 5 });
      big.setParameters({ mu: tensor([1e30]), rho: tensor([-3]) });
      const rho32 = (await big.rho.data())[0]!;
      const kl = (await take(big.klDivergence()))[0]!;
      const expected = kl64(1e30, rho32, 0, 1e30);
      expect(Math.abs(kl - expected)).toBeLessThanOrEqual(64 * eps * (Math.abs(expected) + 70));
      big.dispose();
      const tiny = new GaussianDistribution([1], { stdPrior: 1e-30, muPrior: 0, rng: 6 });
      tiny.setParameters({ mu: tensor([0]) });
      const [dMu, dRho] = grad(() => tiny.klDivergence(), tiny.parameters());
      expect((await take(dMu!))[0]).toBe(0);
      dRho!.dispose();
      tiny.dispose();
    });

    it('row 9: options finite in float64 but not in float32 are refused', () => {
      expect(() => new GaussianDistribution([2], { muInit: 1e39 })).toThrow(
        /GaussianDistribution: muInit must be finite in float32 \(\|muInit\| ≤ 3\.4e38\), got 1e\+39/,
      );
      expect(() => new GaussianDistribution([2], { rhoInit: -1e39 })).toThrow(
        /rhoInit must be finite in float32/,
      );
      expect(() => new GaussianDistribution([2], { stdPrior: 1e-200 })).toThrow(
        /stdPrior must be a positive normal float32 \(in \[1\.2e-38, 3\.4e38\]\), got 1e-200/,
      );
    });

    it('Linear.freeze() before any forward pass keeps no stray sample', () => {
      const before = ctx.backend().memory().numTensors;
      const layer = new Linear(3, 2, { rng: 7 });
      layer.freeze();
      layer.dispose();
      expect(ctx.backend().memory().numTensors).toBe(before);
    });

    it('row 15: null options are a clear error, not a property read of null', () => {
      const makers: Array<[string, () => unknown]> = [
        ['GaussianDistribution', () => new GaussianDistribution([2], null as never)],
        ['Linear', () => new Linear(2, 3, null as never)],
        ['Conv2d', () => new Conv2d(1, 2, 3, null as never)],
        ['Embedding', () => new Embedding(4, 2, null as never)],
        ['ELBOLoss', () => new ELBOLoss(mseLoss, null as never)],
        ['Adam', () => new Adam([], null as never)],
      ];
      for (const [where, make] of makers) {
        expect(make, where).toThrow(new RegExp(`${where}: options must be an object, got null`));
      }
    });

    it('row 10: tensor refuses holes, DataViews and empty values', () => {
      // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
      expect(() => tensor([1, , 3] as number[])).toThrow(
        /tensor: values must be a number, an array of numbers \(no holes\)/,
      );
      expect(() => tensor(new DataView(new ArrayBuffer(8)) as never)).toThrow(/got a DataView/);
      expect(() => tensor([])).toThrow(/tensor: values must hold at least one number, got none/);
    });

    it('row 1: a huge shape is refused at once, before any backend allocates', () => {
      const before = ctx.backend().memory();
      expect(() => randomNormal([1e9, 1e9])).toThrow(
        /randomNormal: the output \[1000000000, 1000000000\] would hold 1\.00e\+18 elements; backend '.*' holds at most \d+ per tensor/,
      );
      expect(() => new GaussianDistribution([65536, 65536])).toThrow(
        /would hold 4\.29e\+9 elements/,
      );
      // Nothing was allocated: the check is core's, before any kernel.
      expect(ctx.backend().memory()).toEqual(before);
    });

    it('row 16: tidy refuses an async function before it runs', () => {
      let ran = false;
      expect(() =>
        tidy((async () => {
          ran = true;
        }) as never),
      ).toThrow(/tidy: fn must be synchronous, got an async function/);
      expect(ran).toBe(false);
    });

    it('debug mode: a NaN is an error naming the op that made it', async () => {
      const x = tensor([1, -1]);
      setDebug(true);
      try {
        await expect(
          (async () => {
            const y = tidy(() => log(x));
            try {
              await y.data();
            } finally {
              y.dispose();
            }
          })(),
        ).rejects.toThrow(
          /debug mode: log\(float32 \[2\]\) gave a non-finite value at element 1 of its output \[2\]/,
        );
        // Finite values pass, through several ops.
        expect(await take(tidy(() => sum(mul(softplus(x), add(x, 3)))))).toHaveLength(1);
      } finally {
        setDebug(false);
        x.dispose();
      }
    });
  });
}
