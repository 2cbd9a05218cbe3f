import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setBackend } from '../engine.js';
import { GaussianDistribution } from '../gaussian.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { ReLU, Sequential, Tanh } from '../nn/sequential.js';
import { type AnyTensor, memory, type Tensor, tensor, Variable } from '../tensor.js';
import { decodeSafetensors, type HostTensor } from './safetensors.js';
import {
  loadStateDict,
  type StateBuffers,
  StateDictError,
  type StateLayout,
  stateDict,
} from './state-dict.js';
import { useTestBackend } from './test-backend.js';
import { VERSION } from './version.js';
import { deserializeWeights, serializeWeights } from './weights.js';

/** Sequential(Linear(3, 4), ReLU, Linear(4, 2, custom priors, no bias)). */
function mlp(seed: number) {
  return new Sequential(
    new Linear(3, 4, { rng: seed }),
    new ReLU(),
    new Linear(4, 2, {
      rng: seed + 1,
      useBias: false,
      weightsDistribution: { stdPrior: 0.2, muPrior: 0.5, rhoInit: -3 },
    }),
  );
}

const KEYS = [
  '0.weights',
  '0.bias',
  '0.weights_distribution.mu',
  '0.weights_distribution.rho',
  '0.weights_distribution.mu_prior',
  '0.weights_distribution.std_prior',
  '0.bias_distribution.mu',
  '0.bias_distribution.rho',
  '0.bias_distribution.mu_prior',
  '0.bias_distribution.std_prior',
  '2.weights',
  '2.weights_distribution.mu',
  '2.weights_distribution.rho',
  '2.weights_distribution.mu_prior',
  '2.weights_distribution.std_prior',
];

/** Every entry's values, as host arrays (and the dict disposed). */
async function valuesOf(dict: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [key, t] of Object.entries(dict)) {
    out[key] = await t.data();
    t.dispose();
  }
  return out;
}

const bits = (values: Record<string, Float32Array>) =>
  Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, Array.from(new Uint32Array(v.buffer))]),
  );

async function run(model: Module, x: Tensor): Promise<Float32Array> {
  const y = model.forward(x);
  const values = await y.data();
  y.dispose();
  return values;
}

describe('stateDict and loadStateDict', () => {
  let before = 0;
  beforeAll(async () => {
    await useTestBackend();
  });
  beforeEach(() => {
    before = memory().numTensors;
  });
  afterEach(() => {
    expect(memory().numTensors, 'live tensors at the end of the test').toBe(before);
  });

  it("keys a model as illia's PyTorch state_dict(): buffers, then distributions; Sequential by index", async () => {
    const model = mlp(1);
    const dict = stateDict(model);
    expect(Object.keys(dict)).toEqual(KEYS);
    expect(dict['0.weights']!.shape).toEqual([4, 3]);
    expect(dict['0.bias']!.shape).toEqual([4]);
    expect(dict['2.weights_distribution.rho']!.shape).toEqual([2, 4]);
    expect(dict['0.weights_distribution.std_prior']!.shape).toEqual([1]);
    const values = await valuesOf(dict);
    expect(values['0.weights_distribution.mu_prior']).toEqual(Float32Array.of(0));
    expect(values['0.weights_distribution.std_prior']).toEqual(Float32Array.of(0.1));
    expect(values['2.weights_distribution.mu_prior']).toEqual(Float32Array.of(0.5));
    expect(values['2.weights_distribution.std_prior']).toEqual(Float32Array.of(0.2));
    const layer = model.modules[0] as Linear;
    expect(values['0.weights_distribution.mu']).toEqual(await layer.weights.mu.data());
    expect(values['0.weights_distribution.rho']).toEqual(await layer.weights.rho.data());
    // Before any forward pass the layer holds no sample: the buffers are the means.
    expect(values['0.weights']).toEqual(values['0.weights_distribution.mu']);
    model.dispose();
  });

  it('the buffers are the last forward pass’s sample, or the frozen weights', async () => {
    const model = mlp(2);
    const layer = model.modules[0] as Linear;
    const x = tensor([0.5, -1, 2], [1, 3]);
    model.forward(x).dispose();
    const held = layer.heldSample()!;
    const sampled = await valuesOf(stateDict(model));
    expect(sampled['0.weights']).toEqual(await held.weights.data());
    expect(sampled['0.bias']).toEqual(await held.bias!.data());
    expect(sampled['0.weights']).not.toEqual(sampled['0.weights_distribution.mu']);
    layer.freeze('mean');
    const mean = await valuesOf(stateDict(model));
    expect(mean['0.weights']).toEqual(mean['0.weights_distribution.mu']);
    x.dispose();
    model.dispose();
  });

  it('gives copies: disposing the dict leaves the model whole', async () => {
    const model = mlp(3);
    for (const t of Object.values(stateDict(model))) t.dispose();
    expect(model.parameters().every((p) => !p.isDisposed)).toBe(true);
    const again = stateDict(model);
    expect(again['0.weights_distribution.mu']).not.toBe((model.modules[0] as Linear).weights.mu);
    for (const t of Object.values(again)) t.dispose();
    model.dispose();
  });

  it('round trips bitwise into another model; the variables keep their identity; frozen outputs agree', async () => {
    const source = mlp(10);
    const x = tensor([0.1, 0.2, -0.3, 1, 2, 3], [2, 3]);
    source.forward(x).dispose();
    const target = mlp(20);
    const parameters = target.parameters();
    const dict = stateDict(source);
    const result = await loadStateDict(target, dict);
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [], mismatched: [] });
    expect(Object.values(dict).every((t) => !t.isDisposed)).toBe(true); // read, not consumed
    for (const t of Object.values(dict)) t.dispose();
    expect(target.parameters()).toEqual(parameters);
    expect(target.parameters().every((p, i) => p === parameters[i])).toBe(true);
    expect(bits(await valuesOf(stateDict(target)))).toEqual(
      bits(await valuesOf(stateDict(source))),
    );
    // Frozen, both use the saved sample: the same outputs, bitwise.
    for (const m of [source, target])
      for (const l of [m.modules[0], m.modules[2]]) (l as Linear).freeze();
    expect(await run(target, x)).toEqual(await run(source, x));
    x.dispose();
    source.dispose();
    target.dispose();
  });

  it('a layer frozen at a sample uses the loaded buffers at once; klCost scores them', async () => {
    const source = mlp(30);
    const x = tensor([1, 2, 3], [1, 3]);
    source.forward(x).dispose();
    const target = mlp(31);
    target.forward(x).dispose(); // (Linear.freeze() before any forward pass leaks its draw)
    for (const l of [target.modules[0], target.modules[2]]) (l as Linear).freeze();
    const dict = stateDict(source);
    await loadStateDict(target, dict);
    for (const t of Object.values(dict)) t.dispose();
    for (const l of [source.modules[0], source.modules[2]]) (l as Linear).freeze();
    expect(await run(target, x)).toEqual(await run(source, x));
    const a = (source.modules[0] as Linear).klCost();
    const b = (target.modules[0] as Linear).klCost();
    expect(await b.kl.item()).toBe(await a.kl.item());
    a.kl.dispose();
    b.kl.dispose();
    x.dispose();
    source.dispose();
    target.dispose();
  });

  it('strict: every missing or unexpected key, wrong shape or dtype, and differing prior in one error, and nothing loaded', async () => {
    const model = mlp(40);
    const snapshot = await valuesOf(stateDict(model));
    const dict: Record<string, AnyTensor | HostTensor> = stateDict(model);
    (dict['0.weights_distribution.rho'] as Tensor).dispose();
    delete dict['0.weights_distribution.rho'];
    dict['0.weights_distribution.sigma'] = tensor([1]);
    (dict['0.bias_distribution.mu'] as Tensor).dispose();
    dict['0.bias_distribution.mu'] = tensor([1, 2, 3]);
    (dict['2.weights'] as Tensor).dispose();
    dict['2.weights'] = { dtype: 'int32', shape: [2, 4], values: new Int32Array(8) };
    (dict['2.weights_distribution.std_prior'] as Tensor).dispose();
    dict['2.weights_distribution.std_prior'] = {
      dtype: 'float32',
      shape: [1],
      values: Float32Array.of(0.3),
    };
    const error = await loadStateDict(model, dict).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictError);
    const message = (error as Error).message;
    expect(message).toMatch(/^loadStateDict: 5 problems, nothing was loaded/);
    expect((error as StateDictError).problems).toEqual([
      'missing key "0.weights_distribution.rho"',
      'unexpected key "0.weights_distribution.sigma"',
      '"0.bias_distribution.mu": shape [3] in the dict, [4] in the module',
      '"2.weights": int32 in the dict, float32 in the module',
      `"2.weights_distribution.std_prior": 0.3 in the dict, but the module's is 0.2 (priors are fixed when a layer is made: build it with { stdPrior: 0.3 })`,
    ]);
    expect(await valuesOf(stateDict(model))).toEqual(snapshot);
    for (const t of Object.values(dict)) if (!('values' in t)) (t as Tensor).dispose();
    model.dispose();
  });

  it('non-strict: loads what fits and returns the rest', async () => {
    const source = mlp(50);
    const target = mlp(51);
    const dict = stateDict(source);
    const muBefore = await (target.modules[0] as Linear).weights.mu.data();
    dict['0.weights_distribution.rho']!.dispose();
    delete dict['0.weights_distribution.rho'];
    dict['0.weights_distribution.mu']!.dispose();
    dict['0.weights_distribution.mu'] = tensor(new Float32Array(4), [2, 2]);
    dict.extra = tensor([1]);
    const result = await loadStateDict(target, dict, { strict: false });
    expect(result).toEqual({
      missingKeys: ['0.weights_distribution.rho'],
      unexpectedKeys: ['extra'],
      mismatched: [
        {
          key: '0.weights_distribution.mu',
          reason: 'shape [2, 2] in the dict, [4, 3] in the module',
        },
      ],
    });
    expect(await (target.modules[0] as Linear).weights.mu.data()).toEqual(muBefore);
    const loaded = await valuesOf(stateDict(target));
    const saved = await valuesOf(stateDict(source));
    for (const key of KEYS.filter((k) => !k.startsWith('0.weights_distribution.'))) {
      expect(loaded[key], key).toEqual(saved[key]);
    }
    for (const t of Object.values(dict)) t.dispose();
    source.dispose();
    target.dispose();
  });

  it('non-strict: a layer given only some buffers keeps its others', async () => {
    const source = mlp(52);
    const target = mlp(53);
    const x = tensor([1, 2, 3], [1, 3]);
    target.forward(x).dispose();
    const biasBefore = await (target.modules[0] as Linear).heldSample()!.bias!.data();
    const dict = stateDict(source);
    const partial = { '0.weights': dict['0.weights']! };
    await loadStateDict(target, partial, { strict: false });
    const held = (target.modules[0] as Linear).heldSample()!;
    expect(await held.weights.data()).toEqual(await dict['0.weights']!.data());
    expect(await held.bias!.data()).toEqual(biasBefore);
    for (const t of Object.values(dict)) t.dispose();
    x.dispose();
    source.dispose();
    target.dispose();
  });

  it('a GaussianDistribution on its own: mu, rho, mu_prior, std_prior', async () => {
    const d = new GaussianDistribution([2, 3], { rng: 5, muPrior: 1, stdPrior: 0.5 });
    const e = new GaussianDistribution([2, 3], { rng: 6, muPrior: 1, stdPrior: 0.5 });
    const dict = stateDict(d);
    expect(Object.keys(dict)).toEqual(['mu', 'rho', 'mu_prior', 'std_prior']);
    const rho = e.rho;
    await loadStateDict(e, dict);
    expect(e.rho).toBe(rho);
    expect(await e.rho.data()).toEqual(await d.rho.data());
    for (const t of Object.values(dict)) t.dispose();
    d.dispose();
    e.dispose();
  });

  it('loads values of another backend, and host values', async () => {
    const source = mlp(60);
    const dict = stateDict(source);
    await useTestBackend('io-test-other');
    const target = mlp(61);
    expect(target.parameters()[0]!.backend).not.toBe(dict['0.weights']!.backend);
    await loadStateDict(target, dict);
    const host: Record<string, HostTensor> = {};
    for (const [key, t] of Object.entries(dict)) {
      host[key] = { dtype: 'float32', shape: t.shape, values: await t.data() };
    }
    const third = mlp(62);
    await loadStateDict(third, host);
    expect(await valuesOf(stateDict(third))).toEqual(await valuesOf(stateDict(target)));
    target.dispose();
    third.dispose();
    await setBackend('io-test');
    for (const t of Object.values(dict)) t.dispose();
    source.dispose();
  });

  it('a module of your own takes part through stateLayout() (illia LSTM-like names)', async () => {
    /** A toy with an inner Linear under `embedding` and a distribution `wf` with buffer `wf`. */
    class Toy implements Module {
      readonly embedding = new Linear(2, 3, { rng: 1 });
      readonly wf = new GaussianDistribution([3, 3], { rng: 2 });
      held: Tensor = Variable.from(tensor(new Float32Array(9), [3, 3]));
      forward(x: Tensor): Tensor {
        return x;
      }
      parameters(): Variable[] {
        return [...this.embedding.parameters(), ...this.wf.parameters()];
      }
      dispose(): void {
        this.embedding.dispose();
        this.wf.dispose();
        this.held.dispose();
      }
      stateLayout(): StateLayout {
        const buffers: StateBuffers = {
          shapes: { wf: [3, 3] },
          read: () => ({ wf: this.held }),
          write: (values) => {
            this.held.dispose();
            this.held = values.wf as Tensor;
          },
        };
        return {
          type: 'Toy',
          config: { hiddenSize: 3 },
          buffers,
          children: [
            ['embedding', this.embedding],
            ['wf_distribution', this.wf],
          ],
        };
      }
    }
    const toy = new Toy();
    const dict = stateDict(new Sequential(toy));
    expect(Object.keys(dict)).toEqual([
      '0.wf',
      '0.embedding.weights',
      '0.embedding.bias',
      '0.embedding.weights_distribution.mu',
      '0.embedding.weights_distribution.rho',
      '0.embedding.weights_distribution.mu_prior',
      '0.embedding.weights_distribution.std_prior',
      '0.embedding.bias_distribution.mu',
      '0.embedding.bias_distribution.rho',
      '0.embedding.bias_distribution.mu_prior',
      '0.embedding.bias_distribution.std_prior',
      '0.wf_distribution.mu',
      '0.wf_distribution.rho',
      '0.wf_distribution.mu_prior',
      '0.wf_distribution.std_prior',
    ]);
    dict['0.wf']!.dispose();
    dict['0.wf'] = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]);
    await loadStateDict(new Sequential(toy), dict);
    expect(await toy.held.data()).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
    for (const t of Object.values(dict)) t.dispose();
    toy.dispose();
  });

  it('a module with parameters and no layout is an error naming where it is', () => {
    const v = Variable.from(tensor([1]));
    const odd: Module = { forward: (x) => x, parameters: () => [v], dispose: () => v.dispose() };
    expect(() => stateDict(new Sequential(new ReLU(), odd))).toThrow(
      /stateDict: the module at "1" \(an object\) has parameters but no state layout: give it a stateLayout\(\) method/,
    );
    expect(() => stateDict(42 as never)).toThrow(
      /stateDict: module must be a module or a GaussianDistribution, got 42/,
    );
    v.dispose();
  });

  it('bad arguments are errors naming them', async () => {
    const model = mlp(70);
    await expect(loadStateDict(model, null as never)).rejects.toThrow(
      /loadStateDict: dict must be an object of tensors, got null/,
    );
    await expect(loadStateDict(model, {}, { strict: 'yes' as never })).rejects.toThrow(
      /loadStateDict: strict must be a boolean, got "yes"/,
    );
    await expect(loadStateDict(model, { '0.weights': [1, 2] as never })).rejects.toThrow(
      /loadStateDict: "0.weights" must be a Tensor or \{ dtype/,
    );
    model.dispose();
  });

  it('serializeWeights / deserializeWeights: safetensors bytes with the version and configuration, bitwise', async () => {
    const source = new Sequential(mlp(80), new Tanh());
    const x = tensor([1, 2, 3], [1, 3]);
    source.forward(x).dispose();
    const bytes = await serializeWeights(source, { metadata: { run: 'test' } });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(KEYS.map((k) => `0.${k}`));
    expect(metadata.format).toBe('pt');
    expect(metadata.run).toBe('test');
    expect(metadata.illia_ts_version).toBe(VERSION);
    expect(JSON.parse(metadata.illia_ts_model!)).toEqual({
      type: 'Sequential',
      children: {
        '0': {
          type: 'Sequential',
          children: {
            '0': {
              type: 'Linear',
              inputSize: 3,
              outputSize: 4,
              useBias: true,
              weightsDistribution: { muPrior: 0, stdPrior: 0.1 },
              biasDistribution: { muPrior: 0, stdPrior: 0.1 },
            },
            '1': { type: 'ReLU' },
            '2': {
              type: 'Linear',
              inputSize: 4,
              outputSize: 2,
              useBias: false,
              weightsDistribution: { muPrior: 0.5, stdPrior: 0.2 },
            },
          },
        },
        '1': { type: 'Tanh' },
      },
    });
    const target = new Sequential(mlp(81), new Tanh());
    const result = await deserializeWeights(target, bytes);
    expect(result.metadata).toEqual(metadata);
    expect(bits(await valuesOf(stateDict(target)))).toEqual(
      bits(await valuesOf(stateDict(source))),
    );
    x.dispose();
    source.dispose();
    target.dispose();
  });

  it('a layer’s setHeldSample checks what it gets', () => {
    const layer = new Linear(2, 3, { rng: 1 });
    const w = tensor(new Float32Array(6), [3, 2]);
    const wrong = tensor([1]);
    expect(() => layer.setHeldSample(wrong, null)).toThrow(
      /Linear.setHeldSample: weights must have shape \[3, 2\], got \[1\]/,
    );
    wrong.dispose();
    expect(() => layer.setHeldSample(w, null)).toThrow(
      /Linear.setHeldSample: bias must be a live float32 Tensor, got null/,
    );
    const b = tensor([1, 2, 3]);
    layer.setHeldSample(w, b);
    expect(layer.heldSample()).toEqual({ weights: w, bias: b });
    layer.dispose();
    expect(w.isDisposed && b.isDisposed).toBe(true);
  });
});

it('VERSION is the package version', () => {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  expect(VERSION).toBe(manifest.version);
});
