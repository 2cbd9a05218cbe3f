/**
 * Issue 12, row 1: the cpu backend states the most elements a tensor holds, from the engine's
 * limits, so core refuses larger outputs at once (no allocation, nothing half made) instead of
 * failing inside a kernel.
 */
import { GaussianDistribution, randomNormal, registerBackend, setBackend } from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { CpuBackend, MAX_ELEMENTS_BROWSER, MAX_ELEMENTS_NODE } from './cpu-backend.js';
import { convMemory, MAX_SCRATCH_BYTES } from './kernels/conv-engine.js';

describe('the largest tensor', () => {
  it('is stated: 2^31 − 1 elements in Node, 0x7fe00000 bytes of float32 in browsers', () => {
    expect(new CpuBackend({ threads: 1 }).maxElements).toBe(2 ** 31 - 1);
    expect(MAX_ELEMENTS_NODE).toBe(2 ** 31 - 1);
    expect(MAX_ELEMENTS_BROWSER).toBe(536_346_624);
  });

  it("is within what this engine's typed arrays hold (V8 refuses more than 2^32 elements at once)", () => {
    // Checked before anything is allocated: a quick RangeError, whatever the memory.
    expect(() => new Float32Array(2 ** 32 + 1)).toThrow(/Invalid typed array length/);
    expect(() => new Int32Array(2 ** 32 + 1)).toThrow(/Invalid typed array length/);
    expect(MAX_ELEMENTS_NODE).toBeLessThan(2 ** 32);
  });

  it('core refuses larger op outputs before any kernel runs, quickly, naming cpu and the limit', async () => {
    registerBackend('cpu-limits', () => new CpuBackend({ name: 'cpu-limits', threads: 1 }));
    const backend = await setBackend('cpu-limits');
    const before = backend.memory();
    for (const shape of [
      [65536, 32768],
      [1e9, 1e9],
    ]) {
      expect(() => randomNormal(shape, 1)).toThrow(
        new RangeError(
          `randomNormal: the output [${shape.join(', ')}] would hold ${(shape[0]! * shape[1]!).toPrecision(3)} elements; backend 'cpu-limits' holds at most ${2 ** 31 - 1} per tensor`,
        ),
      );
    }
    expect(() => new GaussianDistribution([1e9, 1e9])).toThrow(/holds at most 2147483647/);
    expect(backend.memory()).toEqual(before);
  });

  it('a convolution whose one image needs more scratch than int32 offsets reach is a RangeError, not wrong numbers', () => {
    for (const simd of [true, false]) {
      expect(() => convMemory(MAX_SCRATCH_BYTES + 1, 'conv2d', simd)).toThrow(
        new RangeError(
          `conv2d: one image needs ${MAX_SCRATCH_BYTES + 1} bytes of scratch (its zero-padded planes in float64, the packed weights, a row of output tiles); the cpu backend handles at most ${MAX_SCRATCH_BYTES}`,
        ),
      );
    }
  });
});
