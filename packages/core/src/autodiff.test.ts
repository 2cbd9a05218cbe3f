import { describe, expect, it } from 'vitest';
import { grad, valueAndGrad } from './autodiff.js';
import { registerBackend, setBackend } from './engine.js';
import { div, gaussianLogRatio, maximum, mul, softplus64, sub } from './ops/index.js';
import { sum } from './ops/reduction/sum.js';
import { createReferenceBackend } from './reference-backend.js';
import { tensor } from './tensor.js';

/** The reference backend with a count of each kernel's calls. */
function countingBackend(name: string) {
  const backend = createReferenceBackend(name);
  const calls: Record<string, number> = {};
  const kernels = backend.kernels as Record<string, (...args: never[]) => unknown>;
  for (const [name, kernel] of Object.entries(kernels)) {
    kernels[name] = (...args: never[]) => {
      calls[name] = (calls[name] ?? 0) + 1;
      return kernel(...args);
    };
  }
  return { backend, calls };
}

describe('backpropagation computes only the gradients it needs', () => {
  // Kernels that b's gradient alone takes: mul(dy, a); neg(dy); neg(div(mul(dy, a), square(b)));
  // mul(dy, toB).
  it.each([
    ['mul', mul, 1],
    ['sub', sub, 1],
    ['div', div, 4],
    ['maximum', maximum, 1],
  ] as const)(
    "%s: b's gradient costs %d kernel calls, only when b is a parameter",
    async (opName, op, extra) => {
      // A backend of its own per case: a name registers once per process.
      const name = `counting-${opName}`;
      const { backend, calls } = countingBackend(name);
      registerBackend(name, () => backend);
      await setBackend(name);
      const x = tensor([1, -2, 3], [3]);
      const c = tensor([0.5, 4, -1], [3]);
      const callsFor = (params: (typeof x)[]) => {
        for (const key of Object.keys(calls)) delete calls[key];
        const { value, grads } = valueAndGrad(() => sum(op(x, c)), params);
        expect(grads).toHaveLength(params.length);
        for (const t of [value, ...grads]) t.dispose();
        return Object.values(calls).reduce((p, q) => p + q, 0);
      };
      expect(callsFor([x, c]) - callsFor([x])).toBe(extra);
      for (const t of [x, c]) t.dispose();
      expect(backend.memory().numTensors).toBe(0);
    },
  );
});

describe('gradients of gradients', () => {
  it("gaussianLogRatio's gradient is differentiable again: ∂/∂mu Σ w·(∂/∂x) = w/σ²", async () => {
    const name = 'second-order';
    registerBackend(name, () => createReferenceBackend(name));
    const backend = await setBackend(name);
    const x = tensor([0.3, -0.7, 1.1], [3]);
    const mu = tensor([0.1, 0.2, -0.4], [3]);
    const rho = tensor([-1, 0.5, 2], [3]);
    const w = tensor([0.5, -2, 3], [3]);
    const prior = { mu: 0.1, std: 0.8 };
    const { value, grads } = valueAndGrad(() => {
      const [dx] = grad(() => gaussianLogRatio(x, mu, rho, prior), [x]);
      return sum(mul(dx as typeof x, w));
    }, [mu]);
    const got = await (grads[0] as typeof x).data();
    const rhoValues = await rho.data();
    const wValues = await w.data();
    for (let i = 0; i < 3; i++) {
      const sigma = softplus64(rhoValues[i] as number);
      const expected = (wValues[i] as number) / sigma ** 2;
      expect(Math.abs((got[i] as number) - expected)).toBeLessThan(1e-5 * Math.abs(expected));
    }
    for (const t of [value, ...grads, x, mu, rho, w]) t.dispose();
    expect(backend.memory().numTensors).toBe(0);
  });
});
