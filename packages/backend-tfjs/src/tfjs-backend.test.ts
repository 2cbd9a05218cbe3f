import {
  type BackendTensor,
  GaussianDistribution,
  registerBackend,
  setBackend,
  type Tensor,
} from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENGINE_ENV } from './engines.js';
import { sumAxes } from './kernels/sum.js';
import { createTfjsBackend, type TfjsBackend } from './tfjs-backend.js';

let cpu: TfjsBackend;
let wasm: TfjsBackend;
const warn = vi.spyOn(console, 'warn');

beforeAll(async () => {
  // First thing in this file's process, so the cpu engine's first tensor is made here.
  cpu = await createTfjsBackend({ engine: 'cpu' });
  tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync());
  wasm = await createTfjsBackend({ engine: 'wasm', name: 'tfjs-wasm' });
  registerBackend('unit-tfjs', () => cpu);
  registerBackend('unit-tfjs-wasm', () => wasm);
});

let liveBefore = 0;
beforeEach(() => {
  liveBefore = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors, 'live tfjs tensors after the test').toBe(liveBefore);
});

const read = (backend: TfjsBackend, t: BackendTensor) => {
  const values = backend.readSync?.(t);
  backend.dispose(t);
  return values as Float32Array;
};

describe('engines', () => {
  it('prints no tfjs banner', () => {
    expect(warn).not.toHaveBeenCalled();
  });

  it('runs each backend on its own engine, switching tfjs back when another switched it', () => {
    const a = cpu.makeTensor(Float32Array.of(1, 2), [2]);
    expect(tf.getBackend()).toBe('cpu');
    const b = wasm.makeTensor(Float32Array.of(3, 4), [2]);
    expect(tf.getBackend()).toBe('wasm');
    const c = cpu.add(a, a);
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(read(cpu, c))).toEqual([2, 4]);
    expect(Array.from(read(wasm, wasm.mul(b, b)))).toEqual([9, 16]);
    cpu.dispose(a);
    wasm.dispose(b);
  });

  it('takes the engine from ILLIA_TFJS_ENGINE when none is named', async () => {
    const previous = process.env[ENGINE_ENV];
    process.env[ENGINE_ENV] = 'wasm';
    try {
      expect((await createTfjsBackend()).engine).toBe('wasm');
    } finally {
      if (previous === undefined) delete process.env[ENGINE_ENV];
      else process.env[ENGINE_ENV] = previous;
    }
  });

  it('names the package to install for an engine that is not installed, and refuses unknown ones', async () => {
    await expect(createTfjsBackend({ engine: 'webgpu' })).rejects.toThrow(
      /'webgpu' is not installed: run npm i @tensorflow\/tfjs-backend-webgpu/,
    );
    await expect(createTfjsBackend({ engine: 'quantum' })).rejects.toThrow(RangeError);
    await expect(createTfjsBackend({ engine: 'quantum' })).rejects.toThrow(/got 'quantum'/);
  });
});

describe('tensors and tf.tidy', () => {
  it('reads are copies the caller owns, on both engines', () => {
    for (const backend of [cpu, wasm]) {
      const t = backend.makeTensor(Float32Array.of(1, 2), [2]);
      const first = backend.readSync?.(t) as Float32Array;
      first[0] = 99;
      expect(Array.from(read(backend, t))).toEqual([1, 2]);
    }
  });

  it('a user tf.tidy around illia-ts calls frees only the intermediates', async () => {
    await setBackend('unit-tfjs');
    let dist: GaussianDistribution | undefined;
    let draw: Tensor | undefined;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      dist = new GaussianDistribution([1000], { rng: 3 });
      draw = dist.sample();
      dist.logProb(draw).dispose();
    });
    // The parameters and the draw are illia-ts's to free, not the tidy's.
    expect(tf.memory().numTensors).toBe(before + 3);
    expect((draw as Tensor).dataSync()).toHaveLength(1000);
    const logProb = (dist as GaussianDistribution).logProb(draw);
    expect(Number.isFinite(await logProb.item())).toBe(true);
    logProb.dispose();
    draw?.dispose();
    dist?.dispose();
  });
});

describe('random numbers', () => {
  it('the same key gives the same numbers, key {0, 0} included; another key others', () => {
    for (const backend of [cpu, wasm]) {
      const draw = (seed: number, counter: number) =>
        read(backend, backend.randomNormal([1000], { seed, counter }));
      // tfjs treats a falsy seed as "no seed": key {0, 0} must still be reproducible.
      expect(draw(0, 0)).toEqual(draw(0, 0));
      expect(draw(5, 7)).toEqual(draw(5, 7));
      expect(draw(5, 7)).not.toEqual(draw(5, 8));
      expect(draw(5, 7)).not.toEqual(draw(6, 7));
      expect(draw(2 ** 32 - 1, 2 ** 32 - 1)).not.toEqual(draw(2 ** 32 - 1, 2 ** 32 - 2));
    }
  });
});

describe('kernels the wasm engine gets wrong on its own', () => {
  it('log1p is accurate near 0 and exact at −1, ±∞ and NaN', () => {
    const inputs = [
      1e-8,
      -1e-7,
      1e-5,
      -1,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
    ];
    const x = wasm.makeTensor(Float32Array.from(inputs), [inputs.length]);
    const got = read(wasm, wasm.log1p(x));
    wasm.dispose(x);
    const expected = Array.from(Float32Array.from(inputs), Math.log1p);
    for (let i = 0; i < 3; i++) {
      expect(Math.abs((got[i] as number) - (expected[i] as number))).toBeLessThanOrEqual(
        2 ** -23 * Math.abs(expected[i] as number),
      );
    }
    expect(Array.from(got.subarray(3))).toEqual(expected.slice(3));
  });

  it('maximum propagates NaN from either argument, broadcasting', () => {
    const a = wasm.makeTensor(Float32Array.of(Number.NaN, 1, 2, 5), [2, 2]);
    const b = wasm.makeTensor(Float32Array.of(3, Number.NaN), [2]);
    expect(Array.from(read(wasm, wasm.maximum(a, b)))).toEqual([
      Number.NaN,
      Number.NaN,
      3,
      Number.NaN,
    ]);
    expect(Array.from(read(wasm, wasm.maximum(b, a)))).toEqual([
      Number.NaN,
      Number.NaN,
      3,
      Number.NaN,
    ]);
    wasm.dispose(a);
    wasm.dispose(b);
  });

  it('sum of 2^20 terms 1 + 2^-10 is exact, where a float32 running sum drifts', () => {
    // Blocks of 1024 terms sum exactly (1025 each), and so do 1024 block sums (< 2^24).
    const n = 2 ** 20;
    const x = wasm.makeTensor(new Float32Array(n).fill(1 + 2 ** -10), [n]);
    expect(read(wasm, wasm.sum(x, [0]))[0]).toBe(n * (1 + 2 ** -10));
    wasm.dispose(x);
  });

  it('sum pads rows whose length has no divisor near its square root', () => {
    // 2^20 + 1 = 17 · 61681: padded to blocks of 1024; the exact sum rounds to float32 once.
    const n = 2 ** 20 + 1;
    const x = wasm.makeTensor(new Float32Array(n).fill(1 + 2 ** -10), [n]);
    const exact = Math.fround(n * (1 + 2 ** -10));
    expect(Math.abs((read(wasm, wasm.sum(x, [0]))[0] as number) - exact)).toBeLessThanOrEqual(
      2 ** -3, // one float32 ulp at 2^20
    );
    wasm.dispose(x);
  });

  it('blocked sums over inner, outer and several axes equal tf.sum on exact data', () => {
    // Small integers: every order of summation is exact, so any mix-up of axes shows.
    const shape = [3, 1500, 2];
    const values = Float32Array.from({ length: 9000 }, (_, i) => (i % 7) - 3 + (i % 5));
    for (const axes of [[0], [1], [2], [0, 1], [1, 2], [0, 1, 2]]) {
      tf.tidy(() => {
        const x = tf.tensor(values, shape);
        const got = sumAxes(x, axes, false);
        expect(got.shape).toEqual(tf.sum(x, axes).shape);
        expect(Array.from(got.dataSync())).toEqual(Array.from(tf.sum(x, axes).dataSync()));
      });
    }
  });
});

describe('fused kernels', () => {
  it('agree bitwise with the composed primitives on both engines', async () => {
    for (const name of ['unit-tfjs', 'unit-tfjs-wasm']) {
      const backend = await setBackend(name);
      const dist = new GaussianDistribution([3000], { rhoInit: -2, rng: 9 });
      const mu = dist.mu.handle();
      const rho = dist.rho.handle();
      const key = { seed: 4, counter: 2 };
      const fused = backend.gaussianSample?.(mu, rho, key) as BackendTensor;
      const eps = backend.randomNormal(mu.shape, key);
      const sigma = backend.softplus(rho);
      const scaled = backend.mul(sigma, eps);
      const composed = backend.add(mu, scaled);
      expect(read(cpu, fused)).toEqual(read(cpu, composed));
      for (const t of [eps, sigma, scaled]) backend.dispose(t);
      dist.dispose();
    }
  });
});

describe('training kernels', () => {
  it('comparisons give float32 1/0, broadcasting, on both engines', () => {
    for (const backend of [cpu, wasm]) {
      const a = backend.makeTensor(Float32Array.of(-1, 0, 2, 3), [2, 2]);
      const b = backend.makeTensor(Float32Array.of(0, 2), [2]);
      const gt = backend.greater(a, b);
      const lt = backend.less(a, b);
      // tfjs's own comparisons give bool tensors; core multiplies these into float32 gradients.
      expect((gt as tf.Tensor).dtype).toBe('float32');
      expect(Array.from(read(backend, gt))).toEqual([0, 0, 1, 1]);
      expect(Array.from(read(backend, lt))).toEqual([1, 1, 0, 0]);
      backend.dispose(a);
      backend.dispose(b);
    }
  });

  it('reshape shares the buffer, counts 4 bytes per element per handle, and each handle frees alone', () => {
    for (const backend of [cpu, wasm]) {
      const before = tf.memory();
      const x = backend.makeTensor(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
      const y = backend.reshape(x, [3, 2]);
      expect(y.shape).toEqual([3, 2]);
      // One buffer underneath; tf.memory (so memory()) counts bytes per live tensor, as core's
      // MemoryInfo says: 4 per float32 element of every handle.
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1);
      expect(tf.memory().numTensors).toBe(before.numTensors + 2);
      expect(tf.memory().numBytes).toBe(before.numBytes + 48);
      backend.dispose(x);
      expect(tf.memory().numBytes).toBe(before.numBytes + 24);
      expect(Array.from(read(backend, y))).toEqual([1, 2, 3, 4, 5, 6]);
      expect(tf.memory().numBytes).toBe(before.numBytes);
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    }
  });

  it('logSoftmax of a 2^17-long row stays within a few roundings of float64 on wasm', () => {
    // tf.logSoftmax sums the row with wasm's float32 running sum (≈19 roundings here).
    const n = 2 ** 17;
    const values = Float32Array.from({ length: n }, (_, i) => 30 * Math.sin(i * 0.37));
    const x = wasm.makeTensor(values, [1, n]);
    const got = read(wasm, wasm.logSoftmax(x));
    wasm.dispose(x);
    const max = values.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
    const lse = max + Math.log(values.reduce((s, v) => s + Math.exp(v - max), 0));
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const expected = (values[i] as number) - lse;
      const error =
        Math.abs((got[i] as number) - expected) / (2 ** -24 * Math.abs(expected) + 1e-6);
      worst = Math.max(worst, error);
    }
    expect(worst).toBeLessThanOrEqual(4);
  });

  it('matMul, transpose and the activations leave no intermediates, on both engines', () => {
    for (const backend of [cpu, wasm]) {
      const a = backend.makeTensor(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
      const product = backend.matMul(a, a, false, true);
      expect(product.shape).toEqual([2, 2]);
      expect(Array.from(read(backend, product))).toEqual([14, 32, 32, 77]);
      expect(Array.from(read(backend, backend.transpose(a, [1, 0])))).toEqual([1, 4, 2, 5, 3, 6]);
      for (const op of [backend.relu, backend.sigmoid, backend.tanh, backend.logSoftmax]) {
        backend.dispose(op.call(backend, a));
      }
      backend.dispose(a);
    }
  });
});
