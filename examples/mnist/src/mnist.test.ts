import '@illia-ts/backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory } from '@illia-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDigits, runMnist } from './mnist.js';

const dir = mkdtempSync(join(tmpdir(), 'illia-mnist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('MNIST example (small settings)', () => {
  it('loads the 10,000 digits of the mnist package, split 8,000 / 2,000', () => {
    const { train, test } = loadDigits();
    expect(train.count).toBe(8000);
    expect(test.count).toBe(2000);
    expect(train.images.length).toBe(8000 * 784);
    const counts = new Array<number>(10).fill(0);
    for (const label of test.labels) counts[label] = (counts[label] as number) + 1;
    // Every digit is held out, roughly in proportion (about 200 each).
    for (const c of counts) expect(c).toBeGreaterThan(120);
    expect(train.images.every((v) => v >= 0 && v <= 1)).toBe(true);
  }, 60_000);

  it('learns, saves, reloads bitwise, and exports ONNX that plain onnxruntime-node runs', async () => {
    const before = memory().numTensors;
    const small = { hidden: 100, samples: 5 };
    const model = join(dir, 'mnist.safetensors');
    const onnx = join(dir, 'mnist.onnx');
    const trained = await runMnist({
      ...small,
      epochs: 3,
      trainCount: 4000,
      batchSize: 50,
      save: model,
      exportOnnx: onnx,
    });
    expect(memory().numTensors).toBe(before);
    expect(trained.trained).toBe(true);
    expect(trained.accuracy).toBeGreaterThan(0.85);
    expect(trained.meanEntropyNoise).toBeGreaterThan(trained.meanEntropyDigits);
    expect(trained.ece).toBeLessThan(0.1);

    // The reloaded model skips training and gives the same mean-weights output, bit for bit.
    const loaded = await runMnist({ ...small, load: model });
    expect(memory().numTensors).toBe(before);
    expect(loaded.trained).toBe(false);
    expect(loaded.meanWeightsProbabilities).toEqual(trained.meanWeightsProbabilities);

    // The exported model, run without illia-ts: the mean-weights graph within 1e-5 of illia-ts's
    // probabilities, and the graph's own sampling classifies as well as a trained model should.
    const exported = trained.onnx;
    if (!exported) throw new Error('exportOnnx gave no result');
    let largest = 0;
    exported.meanWeights.forEach((p, i) => {
      largest = Math.max(largest, Math.abs(p - (trained.meanWeightsProbabilities[i] as number)));
    });
    expect(largest).toBeLessThan(1e-5);
    expect(exported.accuracy).toBeGreaterThan(0.85);
    expect(exported.bytes).toBeGreaterThan(4 * 784 * 100);
  }, 180_000);
});
