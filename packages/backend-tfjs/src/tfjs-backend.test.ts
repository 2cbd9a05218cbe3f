import {
  add,
  type BackendTensor,
  type DType,
  GaussianDistribution,
  getOp,
  listOps,
  type Pool2dAttrs,
  registerBackend,
  requiredKernels,
  setBackend,
  type Tensor,
  tensor,
  valueAndGrad,
} from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENGINE_ENV } from './engines.js';
import { KERNELS } from './kernels/index.js';
import { sumAxes } from './kernels/sum.js';
import { createTfjsBackend, TfjsBackend } from './tfjs-backend.js';

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

/** Reads a handle and disposes it. */
const read = (backend: TfjsBackend, t: BackendTensor) => {
  const values = backend.readSync?.(t);
  backend.dispose(t);
  return values as Float32Array;
};

/** Runs one kernel of `backend` (core would have checked the arguments and computed `shape`). */
function run(
  backend: TfjsBackend,
  op: string,
  inputs: readonly BackendTensor[],
  attrs: unknown,
  shape: readonly number[],
  dtype: DType = 'float32',
): BackendTensor {
  const kernel = backend.kernels[op];
  if (kernel === undefined) throw new Error(`no kernel ${op}`);
  return kernel(inputs, attrs, { shape, dtype }) as BackendTensor;
}

const float = (backend: TfjsBackend, values: readonly number[], shape: readonly number[]) =>
  backend.makeTensor(Float32Array.from(values), shape);
const int = (backend: TfjsBackend, values: readonly number[], shape: readonly number[]) =>
  backend.makeTensor(Int32Array.from(values), shape);

describe('the kernel table', () => {
  it('has every required kernel, and only ops core defines', () => {
    const ops = new Set(listOps().map((op) => op.name));
    for (const name of requiredKernels()) expect(typeof cpu.kernels[name], name).toBe('function');
    for (const name of Object.keys(KERNELS)) expect(ops.has(name), name).toBe(true);
  });
});

describe('engines', () => {
  it('prints no tfjs banner', () => {
    expect(warn).not.toHaveBeenCalled();
  });

  it('runs each backend on its own engine, switching tfjs back when another switched it', () => {
    const a = float(cpu, [1, 2], [2]);
    expect(tf.getBackend()).toBe('cpu');
    const b = float(wasm, [3, 4], [2]);
    expect(tf.getBackend()).toBe('wasm');
    const c = run(cpu, 'add', [a, a], {}, [2]);
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(read(cpu, c))).toEqual([2, 4]);
    expect(Array.from(read(wasm, run(wasm, 'mul', [b, b], {}, [2])))).toEqual([9, 16]);
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
    await expect(createTfjsBackend({ engine: 'tensorflow' })).rejects.toThrow(
      "backend-tfjs: the tfjs engine 'tensorflow' is not installed: run npm i @tensorflow/tfjs-node",
    );
    await expect(createTfjsBackend({ engine: 'quantum' })).rejects.toThrow(RangeError);
    await expect(createTfjsBackend({ engine: 'quantum' })).rejects.toThrow(/got 'quantum'/);
  });

  it('finds what each engine gets wrong (the probes)', () => {
    expect(cpu.traits).toMatchObject({
      accurateSum: true,
      accurateLog1p: true,
      maximumPropagatesNaN: true,
      sigmoidKeepsSubnormals: true,
      conv2dFilterGradKernel: true,
      maxPoolGradFirstMax: true,
    });
    expect(wasm.traits).toMatchObject({
      accurateSum: false,
      accurateLog1p: false,
      maximumPropagatesNaN: false,
      sigmoidKeepsSubnormals: false,
      conv2dFilterGradKernel: false,
      maxPoolGradFirstMax: false,
    });
  });
});

describe('tensors and tf.tidy', () => {
  it('reads are copies the caller owns, on both engines and both dtypes', () => {
    for (const backend of [cpu, wasm]) {
      for (const t of [float(backend, [1, 2], [2]), int(backend, [1, 2], [2])]) {
        const first = backend.readSync?.(t) as Float32Array | Int32Array;
        first[0] = 99;
        expect(Array.from(read(backend, t))).toEqual([1, 2]);
      }
    }
  });

  it('int32 tensors stay int32 and read as Int32Array, counted 4 bytes per element', async () => {
    for (const backend of [cpu, wasm]) {
      const before = backend.memory();
      const t = int(backend, [-3, 2 ** 31 - 1, 7], [3]);
      expect(t.dtype).toBe('int32');
      expect(backend.memory()).toEqual({
        numTensors: before.numTensors + 1,
        numBytes: before.numBytes + 12,
      });
      const values = await backend.read(t);
      expect(values).toBeInstanceOf(Int32Array);
      expect(Array.from(values)).toEqual([-3, 2 ** 31 - 1, 7]);
      const picked = run(backend, 'slice', [t], { begin: [1], size: [2] }, [2], 'int32');
      expect(picked.dtype).toBe('int32');
      expect(Array.from(read(backend, picked))).toEqual([2 ** 31 - 1, 7]);
      backend.dispose(t);
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
        read(backend, run(backend, 'randomNormal', [], { key: { seed, counter } }, [1000]));
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
    const x = float(wasm, inputs, [inputs.length]);
    const got = read(wasm, run(wasm, 'log1p', [x], {}, x.shape));
    wasm.dispose(x);
    const expected = Array.from(Float32Array.from(inputs), Math.log1p);
    for (let i = 0; i < 3; i++) {
      expect(Math.abs((got[i] as number) - (expected[i] as number))).toBeLessThanOrEqual(
        2 ** -23 * Math.abs(expected[i] as number),
      );
    }
    expect(Array.from(got.subarray(3))).toEqual(expected.slice(3));
  });

  it('sigmoid keeps float32 subnormals (its own flushes them to 0 below −87.3)', () => {
    const inputs = [-200, -103, -100, -90, -88, -87, -20, -17.5, -17, -16.5, -1, 0, 20];
    for (const backend of [cpu, wasm]) {
      const x = float(backend, inputs, [inputs.length]);
      const got = read(backend, run(backend, 'sigmoid', [x], {}, x.shape));
      backend.dispose(x);
      inputs.forEach((v, i) => {
        const expected = 1 / (1 + Math.exp(-v));
        // 4 roundings, and the spacing of float32 subnormals (2^-149) where the result is one.
        expect(
          Math.abs((got[i] as number) - expected),
          `${backend.name}: sigmoid(${v}) = ${got[i]}, float64 ${expected}`,
        ).toBeLessThanOrEqual(4 * 2 ** -24 * expected + 2 ** -149);
      });
      expect(got[3], `${backend.name}: sigmoid(−90)`).toBeGreaterThan(0);
    }
  });

  it('maximum propagates NaN from either argument, broadcasting', () => {
    const a = float(wasm, [Number.NaN, 1, 2, 5], [2, 2]);
    const b = float(wasm, [3, Number.NaN], [2]);
    const expected = [Number.NaN, Number.NaN, 3, Number.NaN];
    expect(Array.from(read(wasm, run(wasm, 'maximum', [a, b], {}, [2, 2])))).toEqual(expected);
    expect(Array.from(read(wasm, run(wasm, 'maximum', [b, a], {}, [2, 2])))).toEqual(expected);
    wasm.dispose(a);
    wasm.dispose(b);
  });

  it('sum of 2^20 terms 1 + 2^-10 is exact, where a float32 running sum drifts', () => {
    // Blocks of 1024 terms sum exactly (1025 each), and so do 1024 block sums (< 2^24).
    const n = 2 ** 20;
    const x = wasm.makeTensor(new Float32Array(n).fill(1 + 2 ** -10), [n]);
    expect(read(wasm, run(wasm, 'sum', [x], { axes: [0] }, []))[0]).toBe(n * (1 + 2 ** -10));
    wasm.dispose(x);
  });

  it('sum pads rows whose length has no divisor near its square root', () => {
    // 2^20 + 1 = 17 · 61681: padded to blocks of 1024; the exact sum rounds to float32 once.
    const n = 2 ** 20 + 1;
    const x = wasm.makeTensor(new Float32Array(n).fill(1 + 2 ** -10), [n]);
    const exact = Math.fround(n * (1 + 2 ** -10));
    const got = read(wasm, run(wasm, 'sum', [x], { axes: [0] }, []))[0] as number;
    expect(Math.abs(got - exact)).toBeLessThanOrEqual(2 ** -3); // one float32 ulp at 2^20
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

  it('oneHot gives float32 ones (the wasm tf.oneHot of dtype float32 writes int bit patterns)', () => {
    for (const backend of [cpu, wasm]) {
      const labels = int(backend, [2, 0], [2]);
      const rows = run(backend, 'oneHot', [labels], { depth: 3 }, [2, 3]);
      expect(Array.from(read(backend, rows))).toEqual([0, 0, 1, 1, 0, 0]);
      backend.dispose(labels);
    }
  });
});

describe('fused kernels', () => {
  it('gaussianSample agrees bitwise with the composed primitives on both engines', async () => {
    for (const name of ['unit-tfjs', 'unit-tfjs-wasm']) {
      const backend = (await setBackend(name)) as TfjsBackend;
      const dist = new GaussianDistribution([3000], { rhoInit: -2, rng: 9 });
      const mu = dist.mu.handle();
      const rho = dist.rho.handle();
      const key = { seed: 4, counter: 2 };
      const fused = run(backend, 'gaussianSample', [mu, rho], { key }, mu.shape);
      const eps = run(backend, 'randomNormal', [], { key }, mu.shape);
      const sigma = run(backend, 'softplus', [rho], {}, mu.shape);
      const scaled = run(backend, 'mul', [sigma, eps], {}, mu.shape);
      const composed = run(backend, 'add', [mu, scaled], {}, mu.shape);
      expect(read(backend, fused)).toEqual(read(backend, composed));
      for (const t of [eps, sigma, scaled]) backend.dispose(t);
      dist.dispose();
    }
  });
});

describe('hardening: limits, and sigma in its tails', () => {
  it('row 1: maxElements is each engine’s limit; core refuses a larger output before the kernel', async () => {
    expect(cpu.maxElements).toBe(2 ** 31 - 1);
    expect(wasm.maxElements).toBe(2 ** 30 - 2 ** 14);
    await setBackend('unit-tfjs-wasm');
    // Broadcasting makes a 4.3 GB output from two 128 kB inputs: more than the wasm heap's 4 GiB.
    const a = tensor(new Float32Array(2 ** 15), [2 ** 15, 1]);
    const b = tensor(new Float32Array(2 ** 15 + 1), [1, 2 ** 15 + 1]);
    expect(() => add(a, b)).toThrow(
      /add: the output \[32768, 32769\] would hold 1\.07e\+9 elements; backend 'unit-tfjs-wasm' holds at most 1073725440 per tensor/,
    );
    a.dispose();
    b.dispose();
  });

  it('a wasm allocation the heap cannot hold is a RangeError, and the engine goes on', async () => {
    await setBackend('unit-tfjs-wasm');
    // Under maxElements, but 4294836224 bytes do not fit beside the module's own data.
    const a = tensor(new Float32Array(2 ** 15), [2 ** 15, 1]);
    const b = tensor(new Float32Array(2 ** 15 - 1), [1, 2 ** 15 - 1]);
    expect(() => add(a, b)).toThrow(
      /backend-tfjs: the wasm engine could not allocate 4294836224 bytes for a tensor: its heap holds at most 4294901760 bytes/,
    );
    const x = tensor([1, 2, 3]);
    const y = add(x, x);
    expect(Array.from(await y.data())).toEqual([2, 4, 6]);
    for (const t of [a, b, x, y]) t.dispose();
  });

  it('rows 7, 8: the fused gaussianLogRatio is float64’s where sigma underflows and for a huge or tiny prior', () => {
    const def = getOp('gaussianLogRatio');
    if (def?.reference === undefined) throw new Error('no reference for gaussianLogRatio');
    const cases = [
      // σ is 0 in float32 at rho −110 and −200; x = mu, so z is 0 (it was 0/0 = NaN).
      { x: [0.25, -0.5, 1e30], mu: [0.25, -0.5, 1e30], rho: [-110, -200, -3], std: 1e30 },
      // 1/(2·std²) overflowed to ∞ and (x − muPrior)² underflowed to 0: ∞ · 0 = NaN.
      { x: [0, 1e-31, 2e-30], mu: [0, 0, 1e-30], rho: [-110, -3, 1], std: 1e-30 },
    ];
    for (const backend of [cpu, wasm]) {
      for (const { x, mu, rho, std } of cases) {
        const prior = { mu: 0, std };
        const handles = [x, mu, rho].map((v) => float(backend, v, [v.length]));
        const [got] = read(backend, run(backend, 'gaussianLogRatio', handles, { prior }, []));
        for (const h of handles) backend.dispose(h);
        const ref = (i?: number) =>
          (def.reference?.(
            [x, mu, rho].map((v) => {
              const values = Float64Array.from(i === undefined ? v : [v[i] as number], Math.fround);
              return { values, shape: [values.length], dtype: 'float32' as const };
            }),
            { prior },
          )[0] ?? Number.NaN) as number;
        const scale = x.reduce((sum, _, i) => sum + Math.abs(ref(i)), 0);
        expect(
          Math.abs((got as number) - ref()),
          `${backend.name}, std ${std}: ${got} vs float64 ${ref()}`,
        ).toBeLessThanOrEqual((x.length + 24) * 2 ** -24 * scale);
      }
    }
  });

  it('logSoftplus is x below −17, log(softplus(x)) above, and keeps ±∞ and NaN', () => {
    const inputs = [-1e4, -110, -17.5, -16.5, 0, 30, 1e30];
    const specials = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NaN];
    for (const backend of [cpu, wasm]) {
      const all = [...inputs, ...specials];
      const x = float(backend, all, [all.length]);
      const got = read(backend, run(backend, 'logSoftplus', [x], {}, x.shape));
      backend.dispose(x);
      inputs.forEach((v, i) => {
        const x32 = Math.fround(v);
        const expected =
          x32 < -30 ? x32 : Math.log(Math.log1p(Math.exp(-Math.abs(x32))) + Math.max(x32, 0));
        expect(
          Math.abs((got[i] as number) - expected),
          `${backend.name}: logSoftplus(${v})`,
        ).toBeLessThanOrEqual(18 * 2 ** -24 * Math.max(1, Math.abs(expected)));
      });
      expect(Array.from(got.subarray(inputs.length))).toEqual(specials);
    }
  });

  it('row 7: from rho −88 to −1e4, logProb and the KL are float64’s and d/drho is −1, on both engines', async () => {
    const rhos = [-88, -90, -100, -104, -110, -200, -1e4];
    for (const name of ['unit-tfjs', 'unit-tfjs-wasm']) {
      await setBackend(name);
      const dist = new GaussianDistribution([rhos.length], { stdPrior: 0.1, rng: 7 });
      dist.setParameters({ mu: tensor(rhos.map(() => 0.05)), rho: tensor(rhos) });
      const x = tensor(rhos.map(() => 0.05));
      const logProb = valueAndGrad(() => dist.logProb(x), dist.parameters());
      const kl = valueAndGrad(() => dist.klDivergence(), dist.parameters());
      // Per element, with log σ = rho (to float64 precision below −30) and σ² ≪ std²: at x = mu,
      // logProb's term is log std − log σ + (mu/std)²/2, and the KL's that less ½.
      const prior = (Math.fround(0.05) / 0.1) ** 2 / 2;
      const terms = rhos.map((r) => Math.log(0.1) - r + prior);
      const expected = {
        logProb: terms.reduce((p, q) => p + q, 0),
        kl: terms.reduce((p, q) => p + q - 0.5, 0),
      };
      for (const [what, { value, grads }] of Object.entries({ logProb, kl })) {
        const got = (await value.data())[0] as number;
        const want = expected[what as keyof typeof expected];
        expect(Math.abs(got - want), `${name} ${what}: ${got} vs ${want}`).toBeLessThanOrEqual(
          32 * 2 ** -24 * Math.abs(want),
        );
        expect(Array.from(await (grads[1] as Tensor).data()), `${name} d${what}/drho`).toEqual(
          rhos.map(() => -1),
        );
        for (const t of [value, ...grads]) t.dispose();
      }
      x.dispose();
      dist.dispose();
    }
  });
});

describe('training kernels', () => {
  it('comparisons give float32 1/0, broadcasting, on both engines', () => {
    for (const backend of [cpu, wasm]) {
      const a = float(backend, [-1, 0, 2, 3], [2, 2]);
      const b = float(backend, [0, 2], [2]);
      const gt = run(backend, 'greater', [a, b], {}, [2, 2]);
      const lt = run(backend, 'less', [a, b], {}, [2, 2]);
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
      const x = float(backend, [1, 2, 3, 4, 5, 6], [2, 3]);
      const y = run(backend, 'reshape', [x], { shape: [3, 2] }, [3, 2]);
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
    const got = read(wasm, run(wasm, 'logSoftmax', [x], {}, [1, n]));
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
      const a = float(backend, [1, 2, 3, 4, 5, 6], [2, 3]);
      const product = run(
        backend,
        'matMul',
        [a, a],
        { transposeA: false, transposeB: true },
        [2, 2],
      );
      expect(product.shape).toEqual([2, 2]);
      expect(Array.from(read(backend, product))).toEqual([14, 32, 32, 77]);
      const t = run(backend, 'transpose', [a], { perm: [1, 0] }, [3, 2]);
      expect(Array.from(read(backend, t))).toEqual([1, 4, 2, 5, 3, 6]);
      for (const op of ['relu', 'sigmoid', 'tanh', 'logSoftmax']) {
        backend.dispose(run(backend, op, [a], {}, [2, 3]));
      }
      backend.dispose(a);
    }
  });
});

describe('indexing kernels', () => {
  it('refuse an index out of range with a RangeError naming the op, leaking nothing', () => {
    for (const backend of [cpu, wasm]) {
      const table = float(backend, [1, 2, 3, 4, 5, 6], [3, 2]);
      const indices = int(backend, [0, 5, 1], [3]);
      const negative = int(backend, [-1], [1]);
      const before = tf.memory().numTensors;
      expect(() => run(backend, 'gather', [table, indices], {}, [3, 2])).toThrow(
        new RangeError('gather: indices must be in [0, 3), got 5 at index 1'),
      );
      expect(() => run(backend, 'gather', [table, negative], {}, [1, 2])).toThrow(
        /gather: indices must be in \[0, 3\), got -1 at index 0/,
      );
      expect(() => run(backend, 'scatterAdd', [table, indices], { rows: 4 }, [4, 2])).toThrow(
        /scatterAdd: indices must be in \[0, 4\), got 5 at index 1/,
      );
      expect(() => run(backend, 'oneHot', [indices], { depth: 5 }, [3, 5])).toThrow(
        /oneHot: labels must be in \[0, 5\), got 5 at index 1/,
      );
      expect(tf.memory().numTensors).toBe(before);
      for (const t of [table, indices, negative]) backend.dispose(t);
    }
  });

  it('scatterAdd adds the rows of repeated indices, on both engines', () => {
    for (const backend of [cpu, wasm]) {
      const updates = float(backend, [1, 2, 10, 20, 100, 200], [3, 2]);
      const indices = int(backend, [1, 1, 0], [3]);
      const out = run(backend, 'scatterAdd', [updates, indices], { rows: 3 }, [3, 2]);
      expect(Array.from(read(backend, out))).toEqual([100, 200, 11, 22, 0, 0]);
      backend.dispose(updates);
      backend.dispose(indices);
    }
  });
});

describe('pool and convolution kernels', () => {
  /** A backend on `base`'s engine with some traits changed: the composed paths on cpu. */
  const variant = (base: TfjsBackend, traits: Partial<TfjsBackend['traits']>) =>
    new TfjsBackend(`${base.name}-variant`, base.engine, { ...base.traits, ...traits });

  it('maxPool2dGrad sends each window’s dy to its first maximum among ties, on every path', () => {
    // 2×2 windows, stride 1, over a plane of ties; padding 1 adds windows of −∞ borders.
    const x = [0, 1, 1, 1, 1, 0, 0, 1, 1];
    const cases: { attrs: Pool2dAttrs; dy: number[]; dx: number[] }[] = [
      {
        attrs: { kernel: [2, 2], stride: [1, 1], padding: [0, 0] },
        dy: [1, 2, 4, 8],
        // Window (0,0) → x[0,1]; (0,1) → x[0,1]; (1,0) → x[1,0]; (1,1) → x[1,1].
        dx: [0, 3, 0, 4, 8, 0, 0, 0, 0],
      },
      {
        attrs: { kernel: [2, 2], stride: [2, 2], padding: [1, 1] },
        dy: [1, 2, 4, 8],
        // Windows over the padded 5×5: (0,0) sees only x[0,0]; (0,1) x[0,1], x[0,2]; (1,0)
        // x[1,0], x[2,0]; (1,1) x[1,1], x[1,2], x[2,1], x[2,2] → first maximum x[1,1].
        dx: [1, 2, 0, 4, 8, 0, 0, 0, 0],
      },
    ];
    const composedCpu = variant(cpu, { maxPoolGradFirstMax: false });
    for (const backend of [cpu, wasm, composedCpu]) {
      for (const c of cases) {
        const xt = float(backend, x, [1, 1, 3, 3]);
        const dy = float(backend, c.dy, [1, 1, 2, 2]);
        const dx = run(backend, 'maxPool2dGrad', [xt, dy], c.attrs, [1, 1, 3, 3]);
        expect(Array.from(read(backend, dx)), `${backend.name} ${JSON.stringify(c.attrs)}`).toEqual(
          c.dx,
        );
        backend.dispose(xt);
        backend.dispose(dy);
      }
    }
  });

  it('conv2dWeightsGrad composed from conv2d agrees with the Conv2DBackpropFilter kernel', () => {
    const composed = variant(cpu, { conv2dFilterGradKernel: false });
    const cases = [
      {
        x: [2, 4, 9, 8],
        w: [6, 2, 3, 2],
        stride: [2, 1],
        padding: [1, 0],
        dilation: [2, 2],
        groups: 2,
      },
      {
        x: [1, 3, 7, 7],
        w: [3, 1, 3, 3],
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 2],
        groups: 3,
      },
      {
        x: [2, 2, 6, 5],
        w: [3, 2, 2, 2],
        stride: [2, 2],
        padding: [0, 1],
        dilation: [1, 1],
        groups: 1,
      },
    ] as const;
    for (const c of cases) {
      const values = (n: number, phase: number) =>
        Array.from({ length: n }, (_, i) => Math.sin(0.7 * i + phase));
      const size = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);
      const attrs = {
        stride: c.stride,
        padding: c.padding,
        dilation: c.dilation,
        groups: c.groups,
      };
      const x = float(cpu, values(size(c.x), 0), c.x);
      const w = float(cpu, values(size(c.w), 1), c.w);
      const y = run(cpu, 'conv2d', [x, w], attrs, outShape(c.x, c.w, attrs));
      const grads = [cpu, composed].map((backend) =>
        read(cpu, run(backend, 'conv2dWeightsGrad', [x, y], { ...attrs, weightsShape: c.w }, c.w)),
      );
      const [kernel, byConv] = grads as [Float32Array, Float32Array];
      for (let i = 0; i < kernel.length; i++) {
        expect(Math.abs((byConv[i] as number) - (kernel[i] as number))).toBeLessThanOrEqual(
          1e-5 * (1 + Math.abs(kernel[i] as number)),
        );
      }
      for (const t of [x, w, y]) cpu.dispose(t);
    }
  });
});

/** conv2d's output shape (PyTorch's formula). */
function outShape(
  x: readonly number[],
  w: readonly number[],
  a: { stride: readonly number[]; padding: readonly number[]; dilation: readonly number[] },
): number[] {
  const size = (n: number, k: number, d: number) =>
    Math.floor(
      (n + 2 * (a.padding[d] as number) - (a.dilation[d] as number) * (k - 1) - 1) /
        (a.stride[d] as number),
    ) + 1;
  return [
    x[0] as number,
    w[0] as number,
    size(x[2] as number, w[2] as number, 0),
    size(x[3] as number, w[3] as number, 1),
  ];
}

describe('convolution and pool kernels beyond the suite’s cases', () => {
  /** Deterministic values in ±[0.3, 1.3]. */
  const values = (n: number, phase: number) =>
    Float64Array.from(
      { length: n },
      (_, i) => (i % 2 ? -1 : 1) * (0.3 + (((i + phase) * 0.618) % 1)),
    );
  const sizeOf = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);

  /** Runs op `name` on `backend` and checks it against core's float64 reference. */
  function check(
    backend: TfjsBackend,
    name: string,
    shapes: readonly (readonly number[])[],
    attrs: Record<string, unknown>,
    outShape: readonly number[],
  ): void {
    const def = getOp(name);
    if (def?.reference === undefined) throw new Error(`no reference for ${name}`);
    const inputs = shapes.map((shape, k) => ({
      values: values(sizeOf(shape), 3 * k + 1).map(Math.fround),
      shape,
      dtype: 'float32' as const,
    }));
    const handles = inputs.map((r) => backend.makeTensor(Float32Array.from(r.values), r.shape));
    const got = read(backend, run(backend, name, handles, attrs, outShape));
    for (const h of handles) backend.dispose(h);
    const expected = def.reference(inputs, attrs);
    const scale = def.reference(
      inputs.map((r) => ({ ...r, values: r.values.map(Math.abs) })),
      attrs,
    );
    expect(got.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      const error = Math.abs((got[i] as number) - (expected[i] as number));
      expect(error, `${backend.name} ${name} element ${i}`).toBeLessThanOrEqual(
        64 * 2 ** -24 * (scale[i] as number),
      );
    }
  }

  const geometries = [
    // Depthwise with 2 outputs per channel, stride and dilation 2 together, uneven padding.
    {
      x: [2, 3, 9, 8],
      w: [6, 1, 3, 2],
      stride: [2, 2],
      padding: [1, 0],
      dilation: [2, 2],
      groups: 3,
    },
    // Groups 2 with stride 3: the last input rows and columns reach no output.
    {
      x: [1, 4, 10, 9],
      w: [4, 2, 2, 3],
      stride: [3, 3],
      padding: [0, 1],
      dilation: [1, 1],
      groups: 2,
    },
    // Dilation along one axis, stride along the other.
    {
      x: [2, 2, 7, 9],
      w: [3, 2, 3, 3],
      stride: [1, 2],
      padding: [2, 0],
      dilation: [3, 1],
      groups: 1,
    },
  ];

  it('conv2d and both gradients match float64 on both engines', () => {
    for (const backend of [cpu, wasm]) {
      for (const g of geometries) {
        const a = { stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups };
        const y = outShape(g.x, g.w, a);
        check(backend, 'conv2d', [g.x, g.w], a, y);
        check(backend, 'conv2dInputGrad', [y, g.w], { ...a, inputShape: g.x }, g.x);
        check(backend, 'conv2dWeightsGrad', [g.x, y], { ...a, weightsShape: g.w }, g.w);
      }
    }
  });

  it('the pools match float64 on both engines, windows overlapping and padded', () => {
    const pools = [
      { kernel: [3, 2], stride: [2, 1], padding: [1, 1] },
      { kernel: [2, 2], stride: [3, 3], padding: [0, 0] },
    ];
    for (const backend of [cpu, wasm]) {
      for (const a of pools) {
        const x = [2, 2, 7, 6];
        const y = [
          2,
          2,
          ...[0, 1].map(
            (d) => Math.floor((x[d + 2]! + 2 * a.padding[d]! - a.kernel[d]!) / a.stride[d]!) + 1,
          ),
        ];
        check(backend, 'maxPool2d', [x], a, y);
        check(backend, 'avgPool2d', [x], a, y);
        check(backend, 'maxPool2dGrad', [x, y], a, x);
      }
    }
  });
});
