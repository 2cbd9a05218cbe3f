import '@illia-ts/backend-cpu';
import { memory } from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { loadDigits, runMnist } from './mnist.js';

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

  it('learns: a small model on 4,000 images beats 85% and finds noise more uncertain', async () => {
    const before = memory().numTensors;
    const result = await runMnist({
      epochs: 3,
      hidden: 100,
      trainCount: 4000,
      samples: 5,
      batchSize: 50,
    });
    expect(memory().numTensors).toBe(before);
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(result.meanEntropyNoise).toBeGreaterThan(result.meanEntropyDigits);
    expect(result.ece).toBeLessThan(0.1);
  }, 120_000);
});
