/**
 * From illia (PyTorch) to illia-ts, for real: fixtures/make-fixture.py trained a small illia
 * model in PyTorch, wrote its state_dict() as safetensors with plain torch, and recorded what
 * PyTorch computes with it. Here the same architecture, built with illia-ts, loads the file
 * strictly and reproduces those outputs. (No Python needed: the outputs are committed.)
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Linear } from '../nn/linear.js';
import { ReLU, Sequential, Tanh } from '../nn/sequential.js';
import { memory, tensor } from '../tensor.js';
import { decodeSafetensors } from './safetensors.js';
import { stateDict } from './state-dict.js';
import { useTestBackend } from './test-backend.js';
import { deserializeWeights } from './weights.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

interface Expected {
  source: string;
  keys: string[];
  inputs: { shape: number[]; values: number[] };
  frozen: { shape: number[]; values: number[] };
  mean: { shape: number[]; values: number[] };
  klCost: number[];
}

/** The architecture of make-fixture.py, with illia-ts. */
function sameArchitecture() {
  return new Sequential(
    new Linear(4, 8),
    new Tanh(),
    new Linear(8, 6, {
      weightsDistribution: { stdPrior: 0.2 },
      biasDistribution: { muPrior: 0.5, stdPrior: 0.3 },
    }),
    new ReLU(),
    new Linear(6, 3, { useBias: false }),
  );
}

const worst = (got: ArrayLike<number>, want: number[]) =>
  Math.max(...want.map((w, i) => Math.abs((got[i] as number) - w)));

describe('illia PyTorch weights in illia-ts', () => {
  const expected = JSON.parse(fixture('illia-mlp.json').toString()) as Expected;
  beforeAll(async () => {
    await useTestBackend();
  });

  it('the file has the keys of PyTorch’s state_dict(), and illia-ts gives the same keys', () => {
    const { tensors } = decodeSafetensors(fixture('illia-mlp.safetensors'));
    expect(Object.keys(tensors)).toEqual(expected.keys);
    const model = sameArchitecture();
    const dict = stateDict(model);
    expect(Object.keys(dict)).toEqual(expected.keys);
    for (const t of Object.values(dict)) t.dispose();
    model.dispose();
  });

  it("loads strictly and reproduces PyTorch's frozen and mean outputs within 1e-5, and its KL", async () => {
    const live = memory().numTensors;
    const model = sameArchitecture();
    const result = await deserializeWeights(model, fixture('illia-mlp.safetensors'));
    expect(result).toMatchObject({ missingKeys: [], unexpectedKeys: [], mismatched: [] });
    expect(result.metadata).toEqual({ format: 'pt' });
    const layers = [0, 2, 4].map((i) => model.modules[i] as Linear);

    // illia's kl_cost scores the sample in the buffers: so does klCost('mc') after loading.
    for (const [i, layer] of layers.entries()) {
      const { kl } = layer.klCost('mc');
      const value = await kl.item();
      kl.dispose();
      expect(Math.abs(value - (expected.klCost[i] as number)) / Math.abs(value)).toBeLessThan(1e-5);
    }

    const x = tensor(expected.inputs.values, expected.inputs.shape);
    for (const layer of layers) layer.freeze(); // illia's freeze(): keep the buffers' sample
    const frozen = model.forward(x);
    expect(frozen.shape).toEqual(expected.frozen.shape);
    expect(worst(await frozen.data(), expected.frozen.values)).toBeLessThan(1e-5);
    frozen.dispose();

    for (const layer of layers) layer.freeze('mean');
    const mean = model.forward(x);
    expect(worst(await mean.data(), expected.mean.values)).toBeLessThan(1e-5);
    mean.dispose();

    x.dispose();
    model.dispose();
    expect(memory().numTensors).toBe(live);
  });

  it("reads the same state dict as written by Hugging Face's safetensors library, bitwise", async () => {
    const ours = decodeSafetensors(fixture('illia-mlp.safetensors')).tensors;
    const theirs = decodeSafetensors(fixture('hf-mlp.safetensors'));
    expect(theirs.metadata).toEqual({ format: 'pt' });
    expect(Object.keys(theirs.tensors).sort()).toEqual(Object.keys(ours).sort());
    for (const [key, t] of Object.entries(ours)) {
      const other = theirs.tensors[key]!;
      expect(other.shape, key).toEqual(t.shape);
      expect(new Uint32Array(other.values.buffer), key).toEqual(new Uint32Array(t.values.buffer));
    }
    const model = sameArchitecture();
    await deserializeWeights(model, fixture('hf-mlp.safetensors'));
    model.dispose();
  });

  it('a model with other priors is refused, naming the keys', async () => {
    const model = new Sequential(
      new Linear(4, 8),
      new Tanh(),
      new Linear(8, 6),
      new ReLU(),
      new Linear(6, 3),
    );
    const error = await deserializeWeights(model, fixture('illia-mlp.safetensors')).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^loadStateDict: 8 problems, nothing was loaded/);
    expect((error as Error).message).toContain('missing key "4.bias"');
    expect((error as Error).message).toContain(
      '"2.weights_distribution.std_prior": 0.2 in the dict, but the module\'s is 0.1 (priors are fixed when a layer is made: build it with { stdPrior: 0.2 })',
    );
    expect((error as Error).message).toContain('"2.bias_distribution.mu_prior": 0.5 in the dict');
    expect((error as Error).message).toContain('"2.bias_distribution.std_prior"');
    model.dispose();
  });
});
