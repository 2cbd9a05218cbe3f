/**
 * Does drawing T weight sets and applying them in one pass beat T forward passes?
 * Monte Carlo prediction of the MNIST example's Bayesian MLP (784-400-10, 2,000 images, T draws):
 *   loop:    T × (x·W1ᵀ + b1 → relu → ·W2ᵀ + b2), as `sampleProbabilities` does;
 *   batched: the T draws of W1 stacked into one [T·400, 784] matMul, then layer 2 as a conv1d
 *            with T groups (each group one draw), one pass, one read.
 * Same FLOPs; the difference is per-pass overhead against kernel shapes. Alternates the two,
 * `--rounds` times (default 5), and prints each time and the median ratio with its range.
 *
 * Run: node packages/core/bench/batched-prediction.mjs [--backend cpu|tfjs|onnx] [--samples 20]
 * after `npx turbo run build`.
 */
import { parseArgs } from 'node:util';
import * as core from '@illia-ts/core';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu' },
    samples: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '2000' },
  },
});
await import(`@illia-ts/backend-${values.backend.split('-')[0]}`);
await core.setBackend(values.backend);
const T = Number(values.samples);
const B = Number(values.batch);
const [I, H, O] = [784, 400, 10];
const g = { rhoInit: -3 };
const l1 = new core.Linear(I, H, { weightsDistribution: g, biasDistribution: g, rng: 1 });
const l2 = new core.Linear(H, O, { weightsDistribution: g, biasDistribution: g, rng: 2 });
const model = new core.Sequential(l1, new core.ReLU(), l2);
const x = core.tensor(
  Float32Array.from({ length: B * I }, (_, i) => ((i * 2654435761) % 1000) / 1000),
  [B, I],
);

async function loop() {
  const { probs } = await core.sampleProbabilities(model, x, T);
  return probs.length;
}

/** The T draws of each distribution in one tensor, [T, ...shape]. */
const drawT = (d) => core.stack(Array.from({ length: T }, () => d.sample()));

async function batched() {
  const p = core.tidy(() => {
    const w1 = core.reshape(drawT(l1.weights), [T * H, I]);
    const b1 = core.reshape(drawT(l1.bias), [T * H]);
    const h = core.relu(core.add(core.matMul(x, w1, { transposeB: true }), b1)); // [B, T·H]
    const w2 = core.reshape(drawT(l2.weights), [T * O, H, 1]);
    const b2 = core.reshape(drawT(l2.bias), [T * O]);
    const y = core.conv1d(core.reshape(h, [B, T * H, 1]), w2, { groups: T }); // [B, T·O, 1]
    const logits = core.add(core.reshape(y, [B, T, O]), core.reshape(b2, [T, O]));
    return core.exp(core.logSoftmax(logits));
  });
  const values = await p.data();
  p.dispose();
  return values.length / (B * O);
}

const time = async (fn) => {
  const t0 = performance.now();
  const n = await fn();
  if (n !== T) throw new Error(`expected ${T} samples, got ${n}`);
  return performance.now() - t0;
};
await time(loop);
await time(batched);
const ratios = [];
for (let r = 0; r < Number(values.rounds); r++) {
  const a = await time(loop);
  const b = await time(batched);
  ratios.push(a / b);
  console.log(
    `round ${r + 1}: loop ${a.toFixed(0)} ms, batched ${b.toFixed(0)} ms, ratio ${(a / b).toFixed(2)}`,
  );
}
ratios.sort((p, q) => p - q);
console.log(
  `${values.backend}, T=${T}, batch ${B}: batched is ${ratios[ratios.length >> 1].toFixed(2)}× the loop's speed (range ${ratios[0].toFixed(2)}–${ratios.at(-1).toFixed(2)})`,
);
x.dispose();
model.dispose();
console.log(`live tensors after: ${core.memory().numTensors}`);
