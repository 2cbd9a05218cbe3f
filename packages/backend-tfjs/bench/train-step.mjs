/**
 * One training step of a Bayesian MLP (784-400-10, ReLU, batch 128, one-sample ELBO with
 * cross-entropy, Adam) on the tfjs cpu engine, the tfjs wasm engine and the plain-TypeScript `cpu`
 * backend, side by side in one process:
 *
 *   npx tsup && node bench/train-step.mjs [backends] [budgetMs]
 *   node bench/train-step.mjs tfjs,tfjs-wasm,cpu 10000
 *
 * A step is what a training loop does per batch: the forward pass (both layers sample their
 * weights), the ELBO, the backward pass (valueAndGrad), Adam's update, and reading the loss (so
 * nothing is left pending). The same seeds and batch on every backend. Each backend gets warm-up
 * steps first; then the backends take turns, one step each per round, for `budgetMs` each, so
 * load from other processes hits all alike; the figures are the median and fastest step.
 * `cpu` is `@illia-ts/backend-cpu`, which this package does not depend on: it is imported from
 * the workspace when it is there.
 */
import {
  Adam,
  crossEntropyLoss,
  ELBOLoss,
  Linear,
  memory,
  ReLU,
  Sequential,
  setBackend,
  tensor,
  valueAndGrad,
} from '@illia-ts/core';
import '../dist/index.js';

const PIXELS = 784;
const HIDDEN = 400;
const CLASSES = 10;
const BATCH = 128;
const WARMUP = 3;

const names = (process.argv[2] ?? 'tfjs,tfjs-wasm,cpu').split(',');
const budgetMs = Number(process.argv[3] ?? 8000);

// The plain `tfjs` backend takes ILLIA_TFJS_ENGINE; pin it to cpu so the rows say what they are.
process.env.ILLIA_TFJS_ENGINE = 'cpu';
if (names.includes('cpu')) {
  try {
    await import('@illia-ts/backend-cpu');
  } catch (error) {
    console.error(`skipping cpu: @illia-ts/backend-cpu could not be imported (${error})`);
    names.splice(names.indexOf('cpu'), 1);
  }
}

/** Deterministic inputs in [0, 1) and one-hot labels, the same for every backend. */
function batchData() {
  const images = new Float32Array(BATCH * PIXELS);
  let state = 12345;
  for (let i = 0; i < images.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    images[i] = (state >>> 8) / 2 ** 24;
  }
  const labels = new Float32Array(BATCH * CLASSES);
  for (let r = 0; r < BATCH; r++) labels[r * CLASSES + (r % CLASSES)] = 1;
  return { images, labels };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const data = batchData();

/** A model, its optimizer and the batch on one backend, and a function that runs one step. */
async function setUp(name) {
  await setBackend(name);
  const model = new Sequential(
    new Linear(PIXELS, HIDDEN, { rng: 1 }),
    new ReLU(),
    new Linear(HIDDEN, CLASSES, { rng: 2 }),
  );
  const elbo = new ELBOLoss(crossEntropyLoss, { numSamples: 1, klWeight: 0.1 });
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const x = tensor(data.images, [BATCH, PIXELS]);
  const y = tensor(data.labels, [BATCH, CLASSES]);
  return {
    name,
    times: [],
    losses: [],
    async step() {
      await setBackend(name);
      const { value, grads } = valueAndGrad(() => elbo.call(model, x, y), model.parameters());
      optimizer.step(grads);
      for (const g of grads) g.dispose();
      const loss = await value.item();
      value.dispose();
      return loss;
    },
    dispose() {
      x.dispose();
      y.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}

const runs = [];
for (const name of names) runs.push(await setUp(name));
const live = new Map();
for (const run of runs) {
  for (let i = 0; i < WARMUP; i++) run.losses.push(await run.step());
}
// After every warm-up (Adam makes its moments in its first step), since the two tfjs backends
// share tfjs's count.
for (const run of runs) {
  await setBackend(run.name);
  live.set(run, memory().numTensors);
}
// Round-robin, one step of each backend per round, so load from other processes hits all alike.
const started = performance.now();
while (performance.now() - started < budgetMs * runs.length || runs[0].times.length < 5) {
  for (const run of runs) {
    await setBackend(run.name);
    const t0 = performance.now();
    run.losses.push(await run.step());
    run.times.push(performance.now() - t0);
  }
}
// Live tensors per backend after the timed steps, before anything is disposed (the two tfjs
// backends share tfjs's count, so disposing one first would show in the other's).
const table = [];
for (const run of runs) {
  await setBackend(run.name);
  table.push({
    backend: run.name,
    'ms/step (median)': Number(median(run.times).toFixed(1)),
    'ms/step (min)': Number(Math.min(...run.times).toFixed(1)),
    steps: run.times.length,
    'first loss': Number(run.losses[0].toFixed(3)),
    'last loss': Number(run.losses.at(-1).toFixed(3)),
    'tensors leaked': memory().numTensors - live.get(run),
  });
}
for (const run of runs) {
  await setBackend(run.name);
  run.dispose();
}

console.log(
  `Bayesian MLP ${PIXELS}-${HIDDEN}-${CLASSES}, batch ${BATCH}: one ELBO step (forward, backward, Adam)`,
);
console.table(table);
const base = table.find((r) => r.backend === 'cpu');
if (base) {
  for (const r of table) {
    console.log(
      `${r.backend}: ${(r['ms/step (median)'] / base['ms/step (median)']).toFixed(2)}× the cpu backend's time`,
    );
  }
}
