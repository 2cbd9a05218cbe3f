import {
  GaussianDistribution,
  registerBackend,
  rng,
  setBackend,
  setFusedKernels,
  tensor,
} from '@illia-ts/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GraphBuilder } from './graph/graph-builder.js';
import { LazyTensor } from './graph/lazy-tensor.js';
import { CHUNK_PAIRS } from './kernels/random-normal.js';
import { OnnxBackend } from './onnx-backend.js';
import { call } from './test-utils.js';

const backend = new OnnxBackend({ name: 'onnx-unit', intraOpNumThreads: 2 });
registerBackend('onnx-unit', () => backend);
const f32 = (values: number[]) => Float32Array.from(values);

afterEach(() => setFusedKernels(true));

describe('lazy graphs', () => {
  it('records ops without running them, and runs them on read', async () => {
    const before = backend.cacheStats();
    const x = backend.makeTensor(f32([1, 2, 3]), [3]);
    const y = call(backend, 'exp', [call(backend, 'log', [x])]);
    expect(y.values).toBeNull();
    expect(backend.cacheStats()).toEqual(before);
    const values = await backend.read(y);
    expect(Array.from(values)).toEqual(
      [1, 2, 3].map((v) => Math.fround(Math.exp(Math.fround(Math.log(v))))),
    );
    expect(y.values).not.toBeNull();
    for (const t of [x, y]) backend.dispose(t);
  });

  it('keeps what pending ops need after the caller disposes it, and counts only live handles', async () => {
    const start = backend.memory();
    const a = backend.makeTensor(f32([1, 4, 9]), [3]);
    const b = call(backend, 'sqrt', [a]);
    backend.dispose(a);
    expect(backend.memory()).toEqual({
      numTensors: start.numTensors + 1,
      numBytes: start.numBytes + 12,
    });
    expect(Array.from(await backend.read(b))).toEqual([1, 2, 3]);
    backend.dispose(b);
    backend.dispose(b); // a second dispose of one handle changes nothing
    expect(backend.memory()).toEqual(start);
  });

  it('materialises live tensors on the way, so later reads start from their values', async () => {
    const a = backend.makeTensor(f32([0.5, 1]), [2]);
    const b = call(backend, 'square', [a]); // live
    const c = call(backend, 'neg', [call(backend, 'exp', [b])]); // exp(b) is disposed at once
    const hidden = c.pendingOp?.inputs[0] as LazyTensor;
    backend.dispose(hidden);
    await backend.read(c);
    expect((b as LazyTensor).values).not.toBeNull();
    expect(hidden.values).toBeNull();
    for (const t of [a, b, c]) backend.dispose(t);
  });

  it('broadcasts like NumPy', async () => {
    const a = backend.makeTensor(f32([1, 2]), [2, 1]);
    const b = backend.makeTensor(f32([10, 20, 30]), [3]);
    const c = call(backend, 'add', [a, b]);
    expect(c.shape).toEqual([2, 3]);
    expect(Array.from(await backend.read(c))).toEqual([11, 21, 31, 12, 22, 32]);
    for (const t of [a, b, c]) backend.dispose(t);
  });

  it('computes long recorded chains in the background, keeping graphs bounded', async () => {
    const start = backend.memory();
    const one = backend.makeTensor(f32([1]), []);
    let t = backend.makeTensor(f32([0]), []);
    for (let i = 0; i < 600; i++) {
      const next = call(backend, 'add', [t, one]);
      backend.dispose(t);
      t = next;
    }
    expect((t as LazyTensor).depth).toBeLessThan(600);
    expect(Array.from(await backend.read(t))).toEqual([600]);
    backend.dispose(t);
    backend.dispose(one);
    expect(backend.memory()).toEqual(start);
  });

  it('reports a failed run as an error that names the tensor and the providers', async () => {
    const broken = new OnnxBackend({ name: 'onnx-broken' });
    const x = broken.makeTensor(f32([1, 2]), [2]);
    // An op that ONNX does not have: ORT rejects the model.
    const bogus = {
      signature: 'bogus',
      emit: (g: GraphBuilder, [v]: readonly string[]) => g.op('NoSuchOp', [v as string]),
    };
    const y = LazyTensor.pending(bogus, [x], [2], 'float32');
    await expect(broken.read(y)).rejects.toThrow(
      /onnx: running the graph of a tensor of shape \[2\] on cpu failed: .*NoSuchOp/,
    );
    broken.dispose(x);
  });
});

describe('sum', () => {
  it('sums a million float32 terms in float64 (float32 accumulation loses them all)', async () => {
    const n = 1_000_000;
    const values = new Float32Array(n + 2).fill(1);
    values[0] = 1e8;
    values[n + 1] = -1e8;
    const x = backend.makeTensor(values, [n + 2]);
    const s = call(backend, 'sum', [x], { axes: [0] }, []);
    // Exactly n: 1e8 + 1 is 1e8 in float32, so a float32 accumulator would return about 0.
    expect(Array.from(await backend.read(s))).toEqual([n]);
    for (const t of [x, s]) backend.dispose(t);
  });

  it('sums over given axes', async () => {
    const x = backend.makeTensor(f32([1, 2, 3, 4, 5, 6]), [2, 3]);
    const rows = call(backend, 'sum', [x], { axes: [1] }, [2]);
    const cols = call(backend, 'sum', [x], { axes: [0] }, [3]);
    expect(Array.from(await backend.read(rows))).toEqual([6, 15]);
    expect(Array.from(await backend.read(cols))).toEqual([5, 7, 9]);
    for (const t of [x, rows, cols]) backend.dispose(t);
  });
});

describe('buffer reuse', () => {
  it('reuses the buffer of a disposed large tensor, never one still read or used', async () => {
    const n = 2 ** 16;
    const x = backend.makeTensor(new Float32Array(n).fill(2), [n]);
    const y = call(backend, 'exp', [x]);
    backend.dispose(x); // y still needs x: not pooled
    const pooled = backend.pooledBytes();
    expect(backend.pooledBytes()).toBe(pooled);
    // Two reads of one handle, disposed when the first ends: the second still gets the values.
    const [a, b] = await Promise.all([
      backend.read(y).finally(() => backend.dispose(y)),
      backend.read(y),
    ]);
    expect(a[0]).toBe(Math.fround(Math.exp(2)));
    expect(b).toEqual(a);
    expect(backend.pooledBytes()).toBeGreaterThan(pooled); // x and y went back
    // The next tensors of that size take pooled buffers and hold their own values.
    const z = call(backend, 'sqrt', [backend.makeTensor(new Float32Array(n).fill(9), [n])]);
    const zs = await backend.read(z);
    zs.fill(0); // the caller's copy: the tensor keeps its values
    expect((await backend.read(z))[n - 1]).toBe(3);
    expect(a[0]).toBe(Math.fround(Math.exp(2))); // a reused buffer never is a caller's copy
    backend.dispose(z);
  });
});

describe('random numbers', () => {
  const draw = async (b: OnnxBackend, shape: number[], seed: number, counter: number) => {
    const t = call(b, 'randomNormal', [], { key: { seed, counter }, shape }, shape);
    try {
      return await b.read(t);
    } finally {
      b.dispose(t);
    }
  };

  it('gives the same numbers for the same key: in one session, and in a new backend', async () => {
    const first = await draw(backend, [1001], 7, 3);
    const again = await draw(backend, [1001], 7, 3);
    const fresh = new OnnxBackend({ name: 'onnx-fresh', intraOpNumThreads: 1 });
    const elsewhere = await draw(fresh, [1001], 7, 3);
    expect(again).toEqual(first);
    expect(elsewhere).toEqual(first);
  });

  it('gives other numbers for another counter or seed, and a prefix for a shorter shape', async () => {
    const base = await draw(backend, [1000], 7, 3);
    const otherCounter = await draw(backend, [1000], 7, 4);
    const otherSeed = await draw(backend, [1000], 8, 3);
    let sameCounter = 0;
    let sameSeed = 0;
    for (let i = 0; i < 1000; i++) {
      if (base[i] === otherCounter[i]) sameCounter++;
      if (base[i] === otherSeed[i]) sameSeed++;
    }
    expect(sameCounter).toBe(0);
    expect(sameSeed).toBe(0);
  });

  it('draws every value finite, with the cos and sin halves of each pair', async () => {
    const odd = await draw(backend, [3, 5], 1, 0);
    expect(odd.length).toBe(15);
    expect(odd.every(Number.isFinite)).toBe(true);
    const scalar = await draw(backend, [], 1, 0);
    expect(scalar.length).toBe(1);
  });

  it('draws large tensors in cache-sized chunks with the same numbers as one chain', async () => {
    // Pair j's draws depend on the key and j alone, at elements j and pairs + j: the largest
    // unchunked draw and a chunked one (three chains, the last of one pair) must agree there.
    const whole = 2 * CHUNK_PAIRS;
    const one = await draw(backend, [2 * whole], 5, 9);
    const chunked = await draw(backend, [2 * whole + 3], 5, 9);
    const pairs = whole + 2;
    let differ = 0;
    for (let j = 0; j < whole; j++) {
      if (one[j] !== chunked[j] || one[whole + j] !== chunked[pairs + j]) differ++;
    }
    expect(differ).toBe(0);
    let sum = 0;
    let sumSq = 0;
    for (const v of chunked) {
      sum += v;
      sumSq += v * v;
    }
    const n = chunked.length;
    // 5 standard errors: of the mean 1/√n, of the second moment √(2/n).
    expect(Math.abs(sum / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('reuses one session for every key (the key is a graph input)', async () => {
    await draw(backend, [64], 0, 0);
    const before = backend.cacheStats();
    for (let counter = 1; counter <= 5; counter++) await draw(backend, [64], 0, counter);
    const after = backend.cacheStats();
    expect(after.misses).toBe(before.misses);
    expect(after.hits).toBe(before.hits + 5);
  });
});

describe('with core', () => {
  it('sample() and logProb() hit the session cache after the first call', async () => {
    await setBackend('onnx-unit');
    const dist = new GaussianDistribution([1000], { rng: 5 });
    const x = dist.sample();
    await x.data();
    await (await dist.logProb(x)).data();
    const calls = async () => {
      const s = dist.sample();
      await s.data();
      s.dispose();
      const lp = dist.logProb();
      await lp.data();
      lp.dispose();
    };
    await calls();
    const before = backend.cacheStats();
    for (let i = 0; i < 5; i++) await calls();
    const after = backend.cacheStats();
    expect(after.misses).toBe(before.misses);
    expect(after.hits).toBe(before.hits + 10);
    x.dispose();
    dist.dispose();
  });

  it('gives bitwise the same samples and log-ratios through the fused kernels and the primitives', async () => {
    await setBackend('onnx-unit');
    const run = async (fused: boolean) => {
      setFusedKernels(fused);
      const dist = new GaussianDistribution([2, 501], { rng: rng(11), rhoInit: -2, muPrior: 0.3 });
      const s = dist.sample();
      const lp = dist.logProb(s);
      const values = [await s.data(), await lp.data()];
      s.dispose();
      lp.dispose();
      dist.dispose();
      return values;
    };
    const [fusedSample, fusedLogProb] = await run(true);
    const [plainSample, plainLogProb] = await run(false);
    expect(fusedSample).toEqual(plainSample);
    expect(
      Math.abs((fusedLogProb?.[0] as number) - (plainLogProb?.[0] as number)),
    ).toBeLessThanOrEqual(Math.abs(plainLogProb?.[0] as number) * 1e-6);
  });

  it('has no dataSync: core says to use data()', async () => {
    await setBackend('onnx-unit');
    const t = tensor(f32([1]), [1]);
    expect(() => t.dataSync()).toThrow(/data\(\)/);
    t.dispose();
  });
});

describe('options and providers', () => {
  it('rejects bad options, naming them', () => {
    expect(() => new OnnxBackend({ intraOpNumThreads: -1 })).toThrow(
      /intraOpNumThreads must be an integer ≥ 0, got -1/,
    );
    expect(() => new OnnxBackend({ cacheSize: 0 })).toThrow(
      /cacheSize must be an integer ≥ 1, got 0/,
    );
    expect(() => new OnnxBackend({ executionProviders: ['tpu' as 'cpu'] })).toThrow(
      /executionProviders must be a non-empty array of "cpu", "webgpu", "cuda", got \["tpu"\]/,
    );
    expect(() => new OnnxBackend({ name: 'Bad Name' })).toThrow(/name must be/);
  });

  it('rejects a provider that cannot start here with an error that says how to get it', async () => {
    // This machine has no CUDA libraries (the repository skips their download).
    await expect(OnnxBackend.create({ executionProviders: ['cuda', 'cpu'] })).rejects.toThrow(
      /execution provider 'cuda' is unavailable on this machine.*ONNXRUNTIME_NODE_INSTALL=cuda12/,
    );
  });

  it('falls back with a warning when asked to', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const b = await OnnxBackend.create({
        executionProviders: ['cuda'],
        onUnavailableProvider: 'warn',
      });
      expect(b.options.executionProviders).toEqual(['cpu']);
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/'cuda' is unavailable.*Going on without it/),
      );
      const x = b.makeTensor(f32([2]), []);
      const y = call(b, 'square', [x]);
      expect(Array.from(await b.read(y))).toEqual([4]);
    } finally {
      warn.mockRestore();
    }
  });
});
