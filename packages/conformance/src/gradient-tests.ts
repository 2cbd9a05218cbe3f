import {
  abs,
  add,
  broadcastTo,
  div,
  exp,
  GaussianDistribution,
  greater,
  less,
  log,
  log1p,
  logSoftmax,
  logSumExp,
  matMul,
  maximum,
  mean,
  mul,
  neg,
  relu,
  reshape,
  rng,
  sigmoid,
  softplus,
  sqrt,
  square,
  sub,
  sum,
  type Tensor,
  tanh,
  tensor,
  tidy,
  transpose,
  Variable,
  valueAndGrad,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { f32, type SuiteContext, take, worstError } from './context.js';

/**
 * Central differences in float32: the error is the truncation h²/6·|f'''| plus the rounding
 * ≈ 4·ε·Σ|terms|/h. With h = 1e-2, inputs of size ≈ 1 away from kinks and sums of a few dozen
 * terms, each is below 2e-4; the bound allows 1e-3·(1 + |g|).
 */
const H = 1e-2;
const FD_TOLERANCE = 1e-3;

/** Deterministic values in ±[0.3, 1.3], away from 0 (kinks of abs and relu) and from each other. */
function inputs(n: number, phase: number): Float32Array {
  return f32(
    Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (0.3 + (((i + phase) * 0.618034) % 1))),
  );
}

/** Evaluates a scalar function of float32 inputs on the backend. */
async function evaluate(
  f: (xs: Tensor[]) => Tensor,
  values: Float32Array[],
  shapes: number[][],
): Promise<number> {
  const xs = values.map((v, i) => tensor(v, shapes[i]));
  const out = tidy(() => f(xs));
  const value = (await take(out))[0] as number;
  for (const x of xs) x.dispose();
  return value;
}

/** Asserts that valueAndGrad's gradients of `f` match central differences for every input. */
async function expectGradientsMatch(
  f: (xs: Tensor[]) => Tensor,
  shapes: number[][],
  values?: Float32Array[],
): Promise<void> {
  const base =
    values ??
    shapes.map((s, i) =>
      inputs(
        s.reduce((p, q) => p * q, 1),
        3 * i + 1,
      ),
    );
  const xs = base.map((v, i) => tensor(v, shapes[i]));
  const { value, grads } = valueAndGrad(() => f(xs), xs);
  const analytic = await Promise.all(grads.map(take));
  value.dispose();
  for (const x of xs) x.dispose();
  for (let k = 0; k < base.length; k++) {
    const numeric = new Float64Array(base[k]!.length);
    for (let i = 0; i < numeric.length; i++) {
      const plus = base.map((v) => v.slice());
      const minus = base.map((v) => v.slice());
      plus[k]![i] = base[k]![i]! + H;
      minus[k]![i] = base[k]![i]! - H;
      // The step actually taken in float32.
      const step = plus[k]![i]! - minus[k]![i]!;
      numeric[i] = ((await evaluate(f, plus, shapes)) - (await evaluate(f, minus, shapes))) / step;
    }
    const got = analytic[k]!;
    for (let i = 0; i < numeric.length; i++) {
      expect(
        Math.abs(got[i]! - numeric[i]!),
        `d/dinput${k}[${i}]: ${got[i]} vs ${numeric[i]}`,
      ).toBeLessThan(FD_TOLERANCE * (1 + Math.abs(numeric[i]!)));
    }
  }
}

/** As {@link expectGradientsMatch}, for a function of variables, perturbed in place. */
async function expectVariableGradientsMatch(f: () => Tensor, variables: Variable[]): Promise<void> {
  const { value, grads } = valueAndGrad(f, variables);
  const analytic = await Promise.all(grads.map(take));
  value.dispose();
  const evaluateAt = async (k: number, values: Float32Array) => {
    variables[k]!.assign(tensor(values, variables[k]!.shape));
    const out = tidy(f);
    return (await take(out))[0] as number;
  };
  for (let k = 0; k < variables.length; k++) {
    const base = await variables[k]!.data();
    for (let i = 0; i < base.length; i++) {
      const plus = base.slice();
      const minus = base.slice();
      plus[i] = base[i]! + H;
      minus[i] = base[i]! - H;
      const step = plus[i]! - minus[i]!;
      const numeric = ((await evaluateAt(k, plus)) - (await evaluateAt(k, minus))) / step;
      const got = analytic[k]![i]!;
      expect(Math.abs(got - numeric), `d/dvariable${k}[${i}]: ${got} vs ${numeric}`).toBeLessThan(
        FD_TOLERANCE * (1 + Math.abs(numeric)),
      );
    }
    variables[k]!.assign(tensor(base, variables[k]!.shape));
  }
}

/** A weighted sum, so that every output element has its own gradient. */
function weighted(y: Tensor): Tensor {
  const w = tensor(inputs(y.size, 7), y.shape);
  return sum(mul(y, w));
}

export function gradientTests(ctx: SuiteContext): void {
  describe('training kernels and gradients', () => {
    it('matMul, transpose, reshape, activations and logSoftmax match float64', async () => {
      const eps = ctx.backend().epsilon;
      const a = inputs(6, 1);
      const b = inputs(12, 2);
      const ta = tensor(a, [2, 3]);
      const tb = tensor(b, [3, 4]);
      const product = await take(matMul(ta, tb));
      const expected = Array.from({ length: 8 }, (_, o) => {
        const i = Math.floor(o / 4);
        const j = o % 4;
        let s = 0;
        for (let p = 0; p < 3; p++) s += a[i * 3 + p]! * b[p * 4 + j]!;
        return s;
      });
      const scale = Array.from({ length: 8 }, (_, o) => {
        let s = 0;
        for (let p = 0; p < 3; p++)
          s += Math.abs(a[Math.floor(o / 4) * 3 + p]! * b[p * 4 + (o % 4)]!);
        return s;
      });
      expect(worstError(product, expected, eps, 1e-30, scale)).toBeLessThanOrEqual(8);
      const t = transpose(tb);
      expect(t.shape).toEqual([4, 3]);
      expect(Array.from(await take(t))).toEqual(
        Array.from({ length: 12 }, (_, o) => b[(o % 3) * 4 + Math.floor(o / 3)]),
      );
      const r = reshape(tb, [2, 6]);
      expect(r.shape).toEqual([2, 6]);
      expect(Array.from(await take(r))).toEqual(Array.from(b));
      const x = f32([-30, -2, -0.5, 0.25, 3, 30]);
      const tx = tensor(x, [2, 3]);
      const cases: Array<[(v: Tensor) => Tensor, (v: number) => number]> = [
        [relu, (v) => Math.max(v, 0)],
        [sigmoid, (v) => 1 / (1 + Math.exp(-v))],
        [tanh, Math.tanh],
      ];
      for (const [op, ref] of cases) {
        expect(worstError(await take(op(tx)), Array.from(x, ref), eps)).toBeLessThanOrEqual(8);
      }
      const lsm = await take(logSoftmax(tx));
      const lse = (row: number[]) =>
        Math.max(...row) + Math.log(row.reduce((s, v) => s + Math.exp(v - Math.max(...row)), 0));
      const rows = [Array.from(x.subarray(0, 3)), Array.from(x.subarray(3))];
      const expectedLsm = rows.flatMap((row) => row.map((v) => v - lse(row)));
      expect(worstError(lsm, expectedLsm, eps, 1e-6)).toBeLessThanOrEqual(64);
      expect(Array.from(await take(greater(tx, 0)))).toEqual([0, 0, 0, 1, 1, 1]);
      expect(Array.from(await take(less(tx, 0)))).toEqual([1, 1, 1, 0, 0, 0]);
      for (const t2 of [ta, tb, tx]) t2.dispose();
    });

    const unary: Array<[string, (x: Tensor) => Tensor, (v: Float32Array) => Float32Array]> = [
      ['neg', neg, (v) => v],
      ['exp', exp, (v) => v],
      ['log', log, (v) => v.map(Math.abs)],
      ['log1p', log1p, (v) => v.map(Math.abs)],
      ['sqrt', sqrt, (v) => v.map(Math.abs)],
      ['square', square, (v) => v],
      ['abs', abs, (v) => v],
      ['softplus', softplus, (v) => v],
      ['relu', relu, (v) => v],
      ['sigmoid', sigmoid, (v) => v],
      ['tanh', tanh, (v) => v],
    ];
    for (const [name, op, domain] of unary) {
      it(`gradient of ${name} matches central differences`, async () => {
        await expectGradientsMatch(([x]) => weighted(op(x!)), [[2, 3]], [domain(inputs(6, 2))]);
      });
    }

    const binary: Array<[string, (a: Tensor, b: Tensor) => Tensor]> = [
      ['add', add],
      ['sub', sub],
      ['mul', mul],
      ['div', div],
      ['maximum', maximum],
    ];
    for (const [name, op] of binary) {
      it(`gradient of ${name} matches central differences, broadcasting`, async () => {
        for (const shapes of [
          [
            [2, 3],
            [2, 3],
          ],
          [[2, 3], [3]],
          [
            [2, 1],
            [1, 3],
          ],
          [[], [2, 3]],
        ]) {
          await expectGradientsMatch(([a, b]) => weighted(op(a!, b!)), shapes);
        }
      });
    }

    it('each gradient is a tensor of its own: disposing one leaves the others readable', async () => {
      const a = tensor([1, 2, 3], [3]);
      const b = tensor([4, 5, 6], [3]);
      // add gives dy to both inputs; a param listed twice has the same gradient twice.
      const { value, grads } = valueAndGrad(() => sum(add(a, b)), [a, b, a]);
      value.dispose();
      expect(new Set(grads).size).toBe(3);
      // Read while another is disposed: an asynchronous read (a GPU engine) must not lose its data.
      const read = Promise.all(grads.map(take));
      expect((await read).map((g) => Array.from(g))).toEqual([
        [1, 1, 1],
        [1, 1, 1],
        [1, 1, 1],
      ]);
      a.dispose();
      b.dispose();
    });

    it('gradients of sum, mean, broadcastTo, reshape, transpose, logSoftmax, logSumExp', async () => {
      const fs: Array<(x: Tensor) => Tensor> = [
        (x) => weighted(sum(x, 1)),
        (x) => weighted(sum(x, [0, 2])),
        (x) => weighted(mean(x, -1)),
        (x) => weighted(broadcastTo(sum(x, 0), [3, 3, 4])),
        (x) => weighted(reshape(x, [6, 4])),
        (x) => weighted(transpose(x, [2, 0, 1])),
        (x) => weighted(logSoftmax(x)),
        (x) => weighted(logSumExp(x)),
      ];
      for (const f of fs) await expectGradientsMatch(([x]) => f(x!), [[2, 3, 4]]);
    });

    it('gradient of matMul matches central differences, every transpose', async () => {
      for (const [transposeA, transposeB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        const aShape = transposeA ? [4, 2] : [2, 4];
        const bShape = transposeB ? [3, 4] : [4, 3];
        await expectGradientsMatch(
          ([a, b]) => weighted(matMul(a!, b!, { transposeA, transposeB })),
          [aShape, bShape],
        );
      }
    });

    it('gradients of sample, logProb and klDivergence with respect to mu, rho and x', async () => {
      const shape = [5];
      const dist = new GaussianDistribution(shape, { muPrior: 0.2, stdPrior: 0.5, rng: 1 });
      dist.setParameters({
        mu: tensor(
          inputs(5, 1).map((v) => v * 0.5),
          shape,
        ),
        rho: tensor(
          inputs(5, 2).map((v) => v - 1),
          shape,
        ),
      });
      const x = Variable.from(
        tensor(
          inputs(5, 3).map((v) => v * 0.5),
          shape,
        ),
      );
      // Sampling takes a fresh generator of one seed, so that every evaluation draws the same eps.
      const fs: Array<() => Tensor> = [
        () => weighted(dist.sample(rng(5))),
        () => dist.logProb(x),
        () => dist.logProb(dist.sample(rng(6))),
        () => dist.klDivergence(),
      ];
      for (const f of fs) await expectVariableGradientsMatch(f, [dist.mu, dist.rho, x]);
      x.dispose();
      dist.dispose();
    });
  });
}
