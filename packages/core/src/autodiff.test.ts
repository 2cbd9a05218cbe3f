import { describe, expect, it } from 'vitest';
import { valueAndGrad } from './autodiff.js';
import { registerBackend, setBackend } from './engine.js';
import { div, maximum, mul, sub } from './ops/index.js';
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
