import '@illia-ts/backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory } from '@illia-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNames, runNames, tokensOf } from './names.js';

const dir = mkdtempSync(join(tmpdir(), 'illia-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('names LSTM example (small settings)', () => {
  it('splits the one-list names 80/20 and keeps the names on both lists apart', () => {
    const { train, heldOut, both } = loadNames();
    expect(train.length + heldOut.length).toBeGreaterThan(7900);
    expect(Math.abs(heldOut.length / (train.length + heldOut.length) - 0.2)).toBeLessThan(0.001);
    expect(both.length).toBeGreaterThanOrEqual(420);
    const bothNames = new Set(both.map((n) => n.name));
    expect([...train, ...heldOut].some((n) => bothNames.has(n.name))).toBe(false);
    expect(tokensOf('Anne-Marie')).toEqual([1, 14, 14, 5, 27, 13, 1, 18, 9, 5]);
  });

  it('learns: two epochs on 3,000 names beat 70% held out, leaking nothing; saves and reloads bitwise', async () => {
    const before = memory().numTensors;
    const small = { samples: 3, hiddenSize: 32 };
    const model = join(dir, 'names-lstm.safetensors');
    const result = await runNames({ ...small, epochs: 2, trainCount: 3000, save: model });
    expect(memory().numTensors).toBe(before);
    expect(result.accuracy).toBeGreaterThan(0.7);
    expect(result.both.length).toBe(result.counts.both);

    const loaded = await runNames({ ...small, load: model });
    expect(memory().numTensors).toBe(before);
    expect([result.trained, loaded.trained]).toEqual([true, false]);
    expect(loaded.meanWeightsPFemale).toEqual(result.meanWeightsPFemale);
  }, 240_000);
});
