// Peak live bytes of one training step (784-400-10 Bayesian MLP, batch 128, ELBO with
// cross-entropy, Adam) on the cpu backend, one thread: the most bytes `memory()` reports after
// any kernel call during the step, minus what was live before it (parameters, data, Adam state).
// Run from the repository root after `npm run build`: node packages/core/bench/training-step-memory.mjs
// It works against the old backend API too (a checkout before ops became a kernel table), which
// is how the before/after figures in the core README were taken.

import { CpuBackend } from '@illia-ts/backend-cpu';
import * as core from '@illia-ts/core';

const inner = new CpuBackend({ threads: 1, name: 'cpu-peak' });
let peak = 0;
const track = () => {
  peak = Math.max(peak, inner.memory().numBytes);
};
const tracked =
  (fn, self) =>
  (...args) => {
    const result = fn.apply(self, args);
    track();
    return result;
  };
// A kernel table may be frozen: wrap a copy of it.
const wrappedKernels =
  inner.kernels &&
  Object.fromEntries(Object.entries(inner.kernels).map(([k, f]) => [k, tracked(f)]));
const wrapAll = (target) =>
  new Proxy(target, {
    get(t, key) {
      const value = t[key];
      if (key === 'kernels' && value && typeof value === 'object') return wrappedKernels;
      if (typeof value !== 'function' || key === 'memory') return value;
      return tracked(value, t);
    },
  });
core.registerBackend('cpu-peak', () => wrapAll(inner));
await core.setBackend('cpu-peak');

const { Sequential, Linear, ReLU, ELBOLoss, crossEntropyLoss, Adam, valueAndGrad, tensor } = core;
const model = new Sequential(
  new Linear(784, 400, { rng: 1 }),
  new ReLU(),
  new Linear(400, 10, { rng: 2 }),
);
const elbo = new ELBOLoss(crossEntropyLoss, { numSamples: 1, klWeight: 1e-3 });
const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
const x = tensor(
  Float32Array.from({ length: 128 * 784 }, (_, i) => ((i * 0.618034) % 1) - 0.5),
  [128, 784],
);
const labels = Array.from({ length: 128 }, (_, i) => i % 10);
const step = () => {
  const { value, grads } = valueAndGrad(() => elbo.call(model, x, labels), model.parameters());
  optimizer.step(grads);
  value.dispose();
  for (const g of grads) g.dispose();
};
step(); // Adam's state exists from here on.
const rows = [];
for (let i = 0; i < 3; i++) {
  const before = inner.memory().numBytes;
  peak = before;
  step();
  rows.push({ step: i + 2, liveBefore: before, peakDuring: peak, peakAbove: peak - before });
}
console.table(rows);
console.log(`peak above live, MB: ${(rows.at(-1).peakAbove / 2 ** 20).toFixed(2)}`);
