import type { AdamHyperparameters } from '@illia-ts/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { firstDifference, floatsOf, runKernels, startTwoThreads, values } from '../test-helpers.js';

const one = new CpuBackend({ threads: 1 });
/** Two threads, every step split between them. */
let two: CpuBackend;

beforeAll(async () => {
  two = await startTwoThreads({ parallelThreshold: 1 });
}, 60_000);

/** Step 3 of Adam with its default rates, a learning rate of 0.01. */
const H: AdamHyperparameters = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  lr: 0.01,
  c1: 1 - 0.9 ** 3,
  c2: 1 - 0.999 ** 3,
};

/** The step in float64, element by element, each result rounded to float32 once. */
function adamReference(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array | null,
  v: Float32Array | null,
  h: AdamHyperparameters,
) {
  const n = param.length;
  const out = { param: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    const g = grad[i] as number;
    // Where there are no moments, nothing is added (0 + −0 would turn −0 into 0).
    const mi = (1 - h.beta1) * g + (m === null ? -0 : h.beta1 * (m[i] as number));
    const vi = (1 - h.beta2) * g * g + (v === null ? -0 : h.beta2 * (v[i] as number));
    out.m[i] = mi;
    out.v[i] = vi;
    out.param[i] =
      (param[i] as number) - ((h.lr / h.c1) * mi) / (Math.sqrt(vi * (1 / h.c2)) + h.epsilon);
  }
  return out;
}

describe('adamUpdate against float64, bitwise the same on 1 and 2 threads', {
  timeout: 60_000,
}, () => {
  const n = 70_001;
  const param = values(n, -2, 2, 21);
  const grad = values(n, -1e-2, 1e-2, 22);
  // Zero, a signed zero, tiny and huge gradients, and a parameter that is NaN.
  grad.set([0, -0, 1e-30, 1e10, -3]);
  param.set([Number.NaN], 5);
  const m = values(n, -1e-2, 1e-2, 23);
  const v = Float32Array.from(values(n, 0, 1e-4, 24), (x) => x * x);

  for (const [label, moments] of [
    ['first step (no moments)', null],
    ['a later step', { m, v }],
  ] as const) {
    it(label, () => {
      const expected = adamReference(param, grad, moments?.m ?? null, moments?.v ?? null, H);
      const results = [one, two].map((backend) => {
        const before = backend.memory();
        const inputs = [param, grad, moments?.m, moments?.v].map((x) =>
          x === undefined ? null : backend.makeTensor(x, [n]),
        );
        const [tp, tg, tm, tv] = inputs;
        const given = [tp!, tg!, ...(tm && tv ? [tm, tv] : [])];
        const outs = runKernels(backend, 'adamUpdate', given, H, [n]);
        expect(outs.map((t) => t.shape)).toEqual([[n], [n], [n]]);
        const [p, m, v] = outs.map((t) => floatsOf(backend, t)) as [
          Float32Array,
          Float32Array,
          Float32Array,
        ];
        const read = { param: p, m, v };
        for (const t of [...inputs, ...outs]) if (t !== null) backend.dispose(t);
        expect(backend.memory()).toEqual(before);
        return read;
      });
      const [r1, r2] = results as [(typeof results)[0], (typeof results)[0]];
      for (const key of ['param', 'm', 'v'] as const) {
        expect(firstDifference(r2[key], r1[key]), `${key}: 1 against 2 threads`).toBe(-1);
        expect(firstDifference(r1[key], expected[key]), `${key} against float64`).toBe(-1);
      }
      expect(Number.isNaN(r1.param[5])).toBe(true);
    });
  }

  it('the inputs stay as they were', () => {
    const tp = one.makeTensor(param, [n]);
    const tg = one.makeTensor(grad, [n]);
    const outs = runKernels(one, 'adamUpdate', [tp, tg], H, [n]);
    expect(firstDifference(floatsOf(one, tp), param)).toBe(-1);
    expect(firstDifference(floatsOf(one, tg), grad)).toBe(-1);
    for (const t of [tp, tg, ...outs]) one.dispose(t);
  });
});
