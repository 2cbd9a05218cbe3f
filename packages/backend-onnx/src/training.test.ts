/**
 * A training loop on the lazy backend: the optimizer assigns lazy results into its parameters
 * every step, and the step reads only the loss. Each step must run one graph of a fixed size
 * (no history recomputed), reuse its cached session, and leave the same live tensors.
 */
import {
  Adam,
  crossEntropyLoss,
  ELBOLoss,
  Linear,
  memory,
  oneHot,
  ReLU,
  registerBackend,
  Sequential,
  setBackend,
  tensor,
  valueAndGrad,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import type { LazyTensor } from './graph/lazy-tensor.js';
import { OnnxBackend } from './onnx-backend.js';
import { call } from './test-utils.js';

const backend = new OnnxBackend({ name: 'onnx-training', intraOpNumThreads: 2 });
registerBackend('onnx-training', () => backend);
const f32 = (values: number[]) => Float32Array.from(values);

describe('a training loop', { timeout: 60_000 }, () => {
  it('runs one graph of constant size per step, from stored parameters, with a cached session', async () => {
    await setBackend('onnx-training');
    const [inputs, hidden, classes, batch] = [12, 16, 3, 8];
    const dist = { muInit: 0, rhoInit: -5, muPrior: 0, stdPrior: 0.1 };
    const layer = (i: number, o: number, seed: number) =>
      new Linear(i, o, { weightsDistribution: dist, biasDistribution: dist, rng: seed });
    const model = new Sequential(layer(inputs, hidden, 1), new ReLU(), layer(hidden, classes, 2));
    const params = model.parameters();
    const optimizer = new Adam(params, { lr: 1e-2 });
    const elbo = new ELBOLoss(crossEntropyLoss, { numSamples: 1, klWeight: 1e-3 });
    const x = tensor(
      Float32Array.from({ length: batch * inputs }, (_, i) => Math.sin(i)),
      [batch, inputs],
    );
    const y = oneHot(
      Array.from({ length: batch }, (_, i) => i % classes),
      classes,
    );
    const before = memory().numTensors;

    const steps = 20;
    const runs: number[] = [];
    const nodes: number[] = [];
    const misses: number[] = [];
    const live: number[] = [];
    const losses: number[] = [];
    for (let step = 0; step < steps; step++) {
      const start = backend.graphStats().runs;
      const { value, grads } = valueAndGrad(() => elbo.call(model, x, y), params);
      optimizer.step(grads);
      losses.push((await value.data())[0] as number);
      value.dispose();
      for (const g of grads) g.dispose();
      runs.push(backend.graphStats().runs - start);
      nodes.push(backend.graphStats().lastNodes);
      misses.push(backend.cacheStats().misses);
      live.push(memory().numTensors);
      // The read cut the history: every parameter holds its values, nothing recorded behind it.
      for (const p of params) {
        const handle = p.handle() as LazyTensor;
        expect(handle.values).not.toBeNull();
        expect(handle.pendingOp).toBeNull();
      }
    }

    // One graph per step (reading the loss computes the update too), the same graph from the
    // second step on (the first differs: Adam has no moments yet), and no new session after it.
    expect(runs).toEqual(Array(steps).fill(1));
    expect(new Set(nodes.slice(1)).size).toBe(1);
    expect(Math.max(...nodes)).toBeLessThan(400);
    expect(misses.slice(1)).toEqual(Array(steps - 1).fill(misses[1]));
    expect(misses[1] as number).toBeLessThanOrEqual((misses[0] as number) + 1);
    // Live tensors: those before, Adam's two moments per parameter and each layer's last weight
    // and bias sample (kept for klCost), the same after every step.
    expect(live).toEqual(Array(steps).fill(before + 2 * params.length + 4));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[steps - 1] as number).toBeLessThan(losses[0] as number);

    x.dispose();
    y.dispose();
    optimizer.dispose();
    model.dispose();
  });
});

describe('a training loop that never yields', { timeout: 60_000 }, () => {
  const train = async (readEveryStep: boolean, steps: number) => {
    const dist = { muInit: 0, rhoInit: -5, muPrior: 0, stdPrior: 0.1 };
    const model = new Sequential(
      new Linear(6, 8, { weightsDistribution: dist, biasDistribution: dist, rng: 3 }),
      new ReLU(),
      new Linear(8, 2, { weightsDistribution: dist, biasDistribution: dist, rng: 4 }),
    );
    const params = model.parameters();
    const optimizer = new Adam(params, { lr: 1e-2 });
    const elbo = new ELBOLoss(crossEntropyLoss, { numSamples: 1, klWeight: 1e-3 });
    const x = tensor(
      Float32Array.from({ length: 4 * 6 }, (_, i) => Math.cos(i)),
      [4, 6],
    );
    const y = oneHot([0, 1, 1, 0], 2);
    for (let step = 0; step < steps; step++) {
      const { value, grads } = valueAndGrad(() => elbo.call(model, x, y), params);
      optimizer.step(grads);
      if (readEveryStep) await value.data();
      value.dispose();
      for (const g of grads) g.dispose();
    }
    const values = await Promise.all(params.map((p) => p.data()));
    x.dispose();
    y.dispose();
    optimizer.dispose();
    model.dispose();
    return values;
  };

  it('computes its history in a few bounded graphs as it records them, with the same result', async () => {
    await setBackend('onnx-training');
    const steps = 60;
    const read = await train(true, steps);
    const runs = backend.graphStats().runs;
    const misses = backend.cacheStats().misses;
    const unread = await train(false, steps);
    // Background flushes (every 256 ops deep) plan their graphs at once, taking what runs in
    // flight compute as inputs: a few graphs of bounded size, not one per op nor one whole epoch.
    expect(backend.graphStats().runs - runs).toBeLessThan(steps / 2);
    expect(backend.cacheStats().misses - misses).toBeLessThan(20);
    read.forEach((values, i) => {
      const other = unread[i] as Float32Array;
      values.forEach((v, j) => {
        expect(Math.abs(v - (other[j] as number))).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v)));
      });
    });
  });
});

describe('reads', () => {
  it('compute the live handles linked to them through pending nodes, but not disposed ones', async () => {
    const x = backend.makeTensor(f32([1, 2]), [2]);
    const h = call(backend, 'neg', [x]);
    const a = call(backend, 'exp', [h]);
    const b = call(backend, 'square', [h]);
    const gone = call(backend, 'sqrt', [h]);
    backend.dispose(gone);
    backend.dispose(h);
    const start = backend.graphStats().runs;
    expect(Array.from(await backend.read(a))).toEqual([
      Math.fround(Math.exp(-1)),
      Math.fround(Math.exp(-2)),
    ]);
    expect(backend.graphStats().runs).toBe(start + 1);
    expect(b.values).toEqual(f32([1, 4]));
    expect(gone.values).toBeNull();
    expect(Array.from(await backend.read(b))).toEqual([1, 4]);
    expect(backend.graphStats().runs).toBe(start + 1);
    for (const t of [x, a, b]) backend.dispose(t);
  });

  it('of a tensor still work when another pending handle cannot run', async () => {
    const own = new OnnxBackend({ name: 'onnx-one-broken' });
    const a = own.makeTensor(f32([1, 2, 3, 4, 5, 6]), [2, 3]);
    const h = call(own, 'exp', [a]);
    // Core refuses these shapes; a backend call that skips it records a graph ORT rejects.
    const broken = call(own, 'matMul', [h, h], { transposeA: false, transposeB: false }, [2, 3]);
    const fine = call(own, 'square', [h]);
    own.dispose(h);
    expect(Array.from(await own.read(fine))).toEqual(
      [1, 2, 3, 4, 5, 6].map((v) => Math.fround(Math.fround(Math.exp(v)) ** 2)),
    );
    await expect(own.read(broken)).rejects.toThrow(/onnx: running the graph/);
    for (const t of [a, broken, fine]) own.dispose(t);
  });
});
