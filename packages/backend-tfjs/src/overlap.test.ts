/**
 * Backends started at once (issue 16: `setBackend('tfjs-wasm')` right after the import, while the
 * `tfjs` backend the import started is still starting): each ends up on its own engine with its
 * own engine's traits, as when made one after the other. Its own file: tfjs starts with no engine.
 */
import type { BackendTensor } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createTfjsBackend } from './tfjs-backend.js';

describe('backends started at once', () => {
  it('each runs on its engine, with the traits it has when made alone', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    const [cpu, wasm, cpu2, wasm2] = await Promise.all([
      createTfjsBackend(),
      createTfjsBackend({ engine: 'wasm', name: 'tfjs-wasm' }),
      createTfjsBackend(),
      createTfjsBackend({ engine: 'wasm', name: 'tfjs-wasm' }),
    ]);
    expect([cpu.engine, wasm.engine, cpu2.engine, wasm2.engine]).toEqual([
      'cpu',
      'wasm',
      'cpu',
      'wasm',
    ]);
    const aloneCpu = await createTfjsBackend();
    const aloneWasm = await createTfjsBackend({ engine: 'wasm', name: 'tfjs-wasm' });
    expect(cpu.traits).toEqual(aloneCpu.traits);
    expect(cpu2.traits).toEqual(aloneCpu.traits);
    expect(wasm.traits).toEqual(aloneWasm.traits);
    expect(wasm2.traits).toEqual(aloneWasm.traits);
    // The engines differ where the probes look (else this test could not tell them apart).
    expect(aloneWasm.traits).not.toEqual(aloneCpu.traits);
    // Each computes on its own engine, whichever tfjs has active.
    const x = wasm.makeTensor(Float32Array.of(1, 2), [2]);
    const y = cpu.makeTensor(Float32Array.of(3, 4), [2]);
    expect(tf.engine().backendName).toBe('cpu');
    const sum = wasm.kernels.add?.([x, x], {}, { shape: [2], dtype: 'float32' }) as BackendTensor;
    expect(Array.from(await wasm.read(sum))).toEqual([2, 4]);
    const prod = cpu.kernels.mul?.([y, y], {}, { shape: [2], dtype: 'float32' }) as BackendTensor;
    expect(Array.from(await cpu.read(prod))).toEqual([9, 16]);
    for (const t of [x, sum]) wasm.dispose(t);
    for (const t of [y, prod]) cpu.dispose(t);
  });
});
