/**
 * Saving and loading on every backend: a model's weights written as safetensors and read back
 * into the same architecture are bitwise the same, on the backend under test.
 */
import {
  type AnyTensor,
  deserializeWeights,
  Linear,
  loadSafetensors,
  loadStateDict,
  ReLU,
  Sequential,
  StateDictError,
  saveSafetensors,
  serializeWeights,
  stateDict,
  type Tensor,
  tensor,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './context.js';

/** Sequential(Linear(5, 7), ReLU, Linear(7, 3) without bias and with other priors). */
function model(seed: number): Sequential {
  return new Sequential(
    new Linear(5, 7, { rng: seed }),
    new ReLU(),
    new Linear(7, 3, {
      rng: seed + 1,
      useBias: false,
      weightsDistribution: { muPrior: 0.25, stdPrior: 0.3, rhoInit: -3 },
    }),
  );
}

const layers = (m: Sequential) => [m.modules[0], m.modules[2]] as Linear[];

/** Every entry's bits, by key (the dict disposed). */
async function bitsOf(dict: Record<string, AnyTensor>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [key, t] of Object.entries(dict)) {
    const values = await t.data();
    out[key] = Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
    t.dispose();
  }
  return out;
}

async function outputOf(m: Sequential, x: Tensor): Promise<Float32Array> {
  const y = m.forward(x);
  try {
    return await y.data();
  } finally {
    y.dispose();
  }
}

export function ioTests(ctx: SuiteContext): void {
  describe(`io: saving and loading weights on ${ctx.name}`, () => {
    it('save → load round trips bitwise: the same state, the same file, the same frozen output', async () => {
      const source = model(101);
      const x = tensor(
        Array.from({ length: 10 }, (_, i) => Math.sin(i + 1)),
        [2, 5],
      );
      source.forward(x).dispose(); // so each layer holds a sample (its weights and bias buffers)
      const bytes = await serializeWeights(source);
      const target = model(202);
      const parameters = target.parameters();
      const result = await deserializeWeights(target, bytes);
      expect(result.missingKeys.length + result.unexpectedKeys.length).toBe(0);
      expect(target.parameters().every((p, i) => p === parameters[i])).toBe(true);
      expect(await bitsOf(stateDict(target))).toEqual(await bitsOf(stateDict(source)));
      expect(await serializeWeights(target)).toEqual(bytes);
      for (const layer of [...layers(source), ...layers(target)]) layer.freeze();
      const want = await outputOf(source, x);
      const got = await outputOf(target, x);
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThanOrEqual(
          1e-6 * Math.max(1, Math.abs(want[i] as number)),
        );
      }
      x.dispose();
      source.dispose();
      target.dispose();
    });

    it('stateDict → loadStateDict with tensors of this backend: bitwise, the dict not consumed', async () => {
      const source = model(303);
      const target = model(404);
      const dict = stateDict(source);
      expect(dict['0.weights_distribution.std_prior']?.shape).toEqual([1]);
      await loadStateDict(target, dict);
      expect(Object.values(dict).every((t) => !t.isDisposed)).toBe(true);
      expect(await bitsOf(stateDict(target))).toEqual(await bitsOf(dict));
      source.dispose();
      target.dispose();
    });

    it('saveSafetensors → loadSafetensors keeps float32 (-0, subnormals, extremes) and int32 bitwise', async () => {
      const floats = tensor(
        Float32Array.of(-0, 1e-45, -1.1754942e-38, 3.4028235e38, -3.4028235e38, 0.1, Math.PI),
        [7],
      );
      const ints = tensor([-(2 ** 31), 2 ** 31 - 1, 0, -1], [2, 2], 'int32');
      const bytes = await saveSafetensors({ floats, ints }, { note: 'x' });
      const back = loadSafetensors(bytes);
      expect(back.ints?.dtype).toBe('int32');
      expect(back.ints?.shape).toEqual([2, 2]);
      expect(await bitsOf(back)).toEqual(await bitsOf({ floats, ints }));
    });

    it('a strict load names every problem and loads nothing', async () => {
      const a = model(505);
      const b = new Sequential(new Linear(5, 7, { rng: 1 }), new ReLU(), new Linear(7, 3));
      const before = await bitsOf(stateDict(b));
      const dict = stateDict(a);
      const error = await loadStateDict(b, dict).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateDictError);
      expect((error as StateDictError).problems).toEqual([
        'missing key "2.bias"',
        'missing key "2.bias_distribution.mu"',
        'missing key "2.bias_distribution.rho"',
        'missing key "2.bias_distribution.mu_prior"',
        'missing key "2.bias_distribution.std_prior"',
        `"2.weights_distribution.mu_prior": 0.25 in the dict, but the module's is 0 (priors are fixed when a layer is made: build it with { muPrior: 0.25 })`,
        `"2.weights_distribution.std_prior": 0.3 in the dict, but the module's is 0.1 (priors are fixed when a layer is made: build it with { stdPrior: 0.3 })`,
      ]);
      expect(await bitsOf(stateDict(b))).toEqual(before);
      for (const t of Object.values(dict)) t.dispose();
      a.dispose();
      b.dispose();
    });
  });
}
