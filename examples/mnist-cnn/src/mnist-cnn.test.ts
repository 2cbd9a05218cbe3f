import '@illia-ts/backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory } from '@illia-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDigits, runMnistCnn } from './mnist-cnn.js';

const dir = mkdtempSync(join(tmpdir(), 'illia-mnist-cnn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('MNIST CNN example (small settings)', () => {
  it('splits the digits as the MLP example does: 8,000 / 2,000', () => {
    const { train, test } = loadDigits();
    expect(train.count).toBe(8000);
    expect(test.count).toBe(2000);
    // The first held-out labels of the MLP example's split (seed 1), so the two compare.
    expect(Array.from(test.labels.subarray(0, 12))).toEqual([4, 2, 8, 8, 3, 1, 7, 6, 4, 1, 2, 0]);
  }, 60_000);

  it('learns: two epochs on 3,000 images beat 85% and find noise more uncertain; saves and reloads bitwise', async () => {
    const before = memory().numTensors;
    const small = { testCount: 500, samples: 3 };
    const model = join(dir, 'mnist-cnn.safetensors');
    const result = await runMnistCnn({ ...small, epochs: 2, trainCount: 3000, save: model });
    expect(memory().numTensors).toBe(before);
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(result.meanEntropyNoise).toBeGreaterThan(result.meanEntropyDigits);

    const loaded = await runMnistCnn({ ...small, load: model });
    expect(memory().numTensors).toBe(before);
    expect([result.trained, loaded.trained]).toEqual([true, false]);
    expect(loaded.meanWeightsProbabilities).toEqual(result.meanWeightsProbabilities);
  }, 240_000);
});
