/**
 * The kernels beyond what the conformance suite's small cases reach: int32 storage through graphs
 * and the buffer pool, attributes that must key the session cache, repeated scatter indices under
 * threads, bad indices at run time, max-pool ties, convolution gradients on shapes where ONNX
 * needs output padding and a cut, and the fused log-ratio on extreme priors.
 */
import {
  conv2dInputGrad,
  conv2dWeightsGrad,
  GaussianDistribution,
  grad,
  listOps,
  maxPool2d,
  maxPool2dGrad,
  registerBackend,
  scatterAdd,
  setBackend,
  setFusedKernels,
  type Tensor,
  tensor,
} from '@illia-ts/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxBackend } from './onnx-backend.js';
import { call } from './test-utils.js';

const backend = new OnnxBackend({ name: 'onnx-kernels', intraOpNumThreads: 2 });
registerBackend('onnx-kernels', () => backend);
beforeAll(() => setBackend('onnx-kernels'));

const i32 = (values: number[]) => Int32Array.from(values);
const f32 = (values: number[]) => Float32Array.from(values);

describe('the kernel table', () => {
  it("has a kernel for every op but adamUpdate and gaussianLogRatioGrad (core's compositions), and none for an op that does not exist", () => {
    // Both have several outputs, which this backend's lazy nodes do not: core composes them.
    const composed = ['adamUpdate', 'gaussianLogRatioGrad'];
    const ops = listOps().map((op) => op.name);
    expect(Object.keys(backend.kernels).sort()).toEqual(
      ops.filter((name) => !composed.includes(name)).sort(),
    );
  });
});

describe('gaussianLogRatio, fused', () => {
  it("gives core's composition's numbers, finite for tiny and huge priors and for σ below float32", async () => {
    const logProb = async (fused: boolean, stdPrior: number, mu: number[], rho: number[]) => {
      setFusedKernels(fused);
      try {
        const dist = new GaussianDistribution([mu.length], { stdPrior, rng: 2 });
        dist.setParameters({ mu: tensor(mu), rho: tensor(rho) });
        // At the mean: the posterior's term is 0, the prior's is where a scale could overflow.
        const x = tensor(mu);
        const lp = dist.logProb(x);
        const value = (await lp.data())[0] as number;
        for (const t of [x, lp]) t.dispose();
        dist.dispose();
        return value;
      } finally {
        setFusedKernels(true);
      }
    };
    const cases: [number, number[], number[]][] = [
      [0.1, [0.1, -0.2, 0.3], [-20, -1, 2]],
      [1e-30, [0, 1e-31, 0], [-3, -2, -20]],
      [1e30, [1e30, -1e29, 0], [-3, 0, 5]],
      // σ is 0 in float32 below rho ≈ −104: z = (x − mu)/σ was 0/0 = NaN; float64 gives 520.76.
      [1e30, [0.25, -0.5, 1e30], [-110, -200, -3]],
      [0.1, [0.25, -0.5, 0.1], [-110, -200, -90]],
    ];
    for (const [std, mu, rho] of cases) {
      const fused = await logProb(true, std, mu, rho);
      expect(Number.isFinite(fused), `std ${std}: ${fused}`).toBe(true);
      expect(fused).toBe(await logProb(false, std, mu, rho));
    }
  });

  it('leaves sample, sigma and klDivergence right at rho −110 and −200', async () => {
    const [muPrior, stdPrior] = [0, 0.1];
    const mu = [0.25, -0.5, 0.1];
    const rho = [-110, -200, -90];
    const dist = new GaussianDistribution([3], { muPrior, stdPrior, rng: 4 });
    dist.setParameters({ mu: tensor(mu), rho: tensor(rho) });
    const sample = dist.sample();
    const kl = dist.klDivergence();
    const [dMu, dRho] = grad(() => dist.klDivergence(), [dist.mu, dist.rho]) as [Tensor, Tensor];
    // σ = e^rho to float64 precision here (0 in float32 below −104, subnormal at −90).
    const kl64 = rho.reduce((total, r, i) => {
      const m = mu[i] as number;
      const sigma = Math.exp(r);
      return (
        total +
        Math.log(stdPrior) -
        r +
        (sigma * sigma + (m - muPrior) ** 2) / (2 * stdPrior ** 2) -
        0.5
      );
    }, 0);
    expect(Array.from(await sample.data())).toEqual(mu.map(Math.fround));
    const [klValue] = await kl.data();
    expect(Math.abs((klValue as number) - kl64)).toBeLessThan(1e-5 * kl64);
    expect(Array.from(await dRho.data())).toEqual([-1, -1, -1]);
    expect(Array.from(await dMu.data())).toEqual(mu.map((m) => Math.fround(m / stdPrior ** 2)));
    for (const t of [sample, kl, dMu, dRho]) t.dispose();
    dist.dispose();
  });
});

describe('int32 tensors', () => {
  it('are stored as int32 and read back exactly, 4 bytes an element', async () => {
    const start = backend.memory();
    const values = i32([2 ** 31 - 1, -(2 ** 31), 2 ** 24 + 1, -5]);
    const x = backend.makeTensor(values, [2, 2]);
    expect(x.dtype).toBe('int32');
    expect(backend.memory()).toEqual({
      numTensors: start.numTensors + 1,
      numBytes: start.numBytes + 16,
    });
    const got = await backend.read(x);
    expect(got).toBeInstanceOf(Int32Array);
    expect(got).toEqual(values);
    backend.dispose(x);
    expect(backend.memory()).toEqual(start);
  });

  it('go through reshape, transpose, slice, pad, concat and gather in one graph, exactly', async () => {
    const big = 2 ** 30 + 3; // not a float32: a float round trip would change it
    const x = backend.makeTensor(i32([big, 1, 2, 3, 4, -big]), [6]);
    const r = call(backend, 'reshape', [x], { shape: [2, 3] }, [2, 3], 'int32');
    const t = call(backend, 'transpose', [r], { perm: [1, 0] }, [3, 2], 'int32'); // [[b,3],[1,4],[2,-b]]
    const s = call(backend, 'slice', [t], { begin: [1, 0], size: [2, 2] }, [2, 2], 'int32');
    const p = call(
      backend,
      'pad',
      [s],
      {
        paddings: [
          [1, 0],
          [0, 1],
        ],
      },
      [3, 3],
      'int32',
    );
    const c = call(backend, 'concat', [p, t], { axis: 1 }, [3, 5], 'int32');
    const idx = backend.makeTensor(i32([2, 0]), [2]);
    const y = call(backend, 'gather', [c, idx], {}, [2, 5], 'int32');
    const got = await backend.read(y);
    expect(got).toBeInstanceOf(Int32Array);
    // p = [[0,0,0],[1,4,0],[2,-b,0]]; c's rows: p's then t's.
    expect(Array.from(got)).toEqual([2, -big, 0, 2, -big, 0, 0, 0, big, 3]);
    for (const v of [x, r, t, s, p, c, idx, y]) backend.dispose(v);
  });

  it('key their own sessions: the same graph on float32 and int32 gives each its type', async () => {
    const before = backend.cacheStats().misses;
    const a = backend.makeTensor(i32([1, 2, 3, 4]), [2, 2]);
    const b = backend.makeTensor(f32([1.5, 2, 3, 4]), [2, 2]);
    const ra = call(backend, 'reshape', [a], { shape: [4] }, [4], 'int32');
    expect(await backend.read(ra)).toEqual(i32([1, 2, 3, 4]));
    const rb = call(backend, 'reshape', [b], { shape: [4] }, [4]);
    expect(await backend.read(rb)).toEqual(f32([1.5, 2, 3, 4]));
    expect(backend.cacheStats().misses).toBe(before + 2);
    for (const v of [a, b, ra, rb]) backend.dispose(v);
  });

  it('never lend a pooled Int32Array to a float32 tensor, nor the reverse', async () => {
    const n = 2 ** 16;
    // Disposed large int32 buffers go to the pool.
    const ints = backend.makeTensor(new Int32Array(n).fill(7), [n]);
    const moved = call(backend, 'reshape', [ints], { shape: [n] }, [n], 'int32');
    expect((await backend.read(moved))[0]).toBe(7);
    backend.dispose(ints);
    backend.dispose(moved);
    // A float result of that length keeps a float32 copy of its values, not a truncated one.
    const x = backend.makeTensor(new Float32Array(n).fill(0.25), [n]);
    const y = call(backend, 'sqrt', [x]);
    expect((await backend.read(y))[1]).toBe(0.5);
    expect(y.values).toBeInstanceOf(Float32Array);
    expect((await backend.read(y))[n - 1]).toBe(0.5);
    backend.dispose(x);
    backend.dispose(y);
    // And the reverse: float buffers are pooled now; an int32 result stays int32.
    const back = backend.makeTensor(new Int32Array(n).fill(-3), [n]);
    const again = call(backend, 'reshape', [back], { shape: [n] }, [n], 'int32');
    const got = await backend.read(again);
    expect(got).toBeInstanceOf(Int32Array);
    expect(again.values).toBeInstanceOf(Int32Array);
    expect((await backend.read(again))[n - 1]).toBe(-3);
    backend.dispose(back);
    backend.dispose(again);
  });

  it('rejects values of another type, naming it', () => {
    expect(() => backend.makeTensor(new Float64Array(2) as unknown as Float32Array, [2])).toThrow(
      /onnx.makeTensor: values must be a Float32Array or an Int32Array, got \[object Float64Array\]/,
    );
  });
});

describe('attributes key the session cache', () => {
  it('slices and paddings of one shape at different places are different graphs', async () => {
    const x = backend.makeTensor(f32([1, 2, 3, 4]), [4]);
    const head = call(backend, 'slice', [x], { begin: [0], size: [2] }, [2]);
    const tail = call(backend, 'slice', [x], { begin: [2], size: [2] }, [2]);
    expect(Array.from(await backend.read(head))).toEqual([1, 2]);
    expect(Array.from(await backend.read(tail))).toEqual([3, 4]);
    const before = call(backend, 'pad', [x], { paddings: [[1, 0]] }, [5]);
    const after = call(backend, 'pad', [x], { paddings: [[0, 1]] }, [5]);
    expect(Array.from(await backend.read(before))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(await backend.read(after))).toEqual([1, 2, 3, 4, 0]);
    for (const v of [x, head, tail, before, after]) backend.dispose(v);
  });
});

describe('indices', () => {
  it('repeated in scatterAdd all add up, on two threads', async () => {
    const [count, width, rows] = [20_000, 64, 3];
    const updates = tensor(new Float32Array(count * width).fill(1), [count, width]);
    const indices = tensor(
      Int32Array.from({ length: count }, (_, i) => i % rows),
      [count],
      'int32',
    );
    const sums = scatterAdd(updates, indices, rows + 1);
    const got = await sums.data();
    const expected = [6667, 6667, 6666, 0].flatMap((v) => new Array<number>(width).fill(v));
    expect(Array.from(got)).toEqual(expected);
    for (const t of [updates, indices, sums]) t.dispose();
  });

  it('out of range, found only when the graph runs, fail the read (negative ones too)', async () => {
    const table = backend.makeTensor(f32([1, 2, 3, 4, 5, 6]), [3, 2]);
    for (const bad of [3, -1]) {
      const idx = backend.makeTensor(i32([0, bad]), [2]);
      const rows = call(backend, 'gather', [table, idx], {}, [2, 2]);
      await expect(backend.read(rows)).rejects.toThrow(/onnx: running the graph.*Gather/s);
      backend.dispose(rows);
      const three = backend.makeTensor(i32([0, 1, bad]), [3]);
      const sums = call(backend, 'scatterAdd', [table, three], { rows: 3 }, [3, 2]);
      await expect(backend.read(sums)).rejects.toThrow(/onnx: running the graph.*ScatterElements/s);
      for (const v of [idx, three, sums]) backend.dispose(v);
    }
    backend.dispose(table);
  });
});

describe('max pools', () => {
  it('never pick the padding, and send dy to the first maximum of a window on ties', async () => {
    // Windows 2×2, stride 2, padding 1: the corners hold one element and three of padding.
    const x = tensor(f32([-4, -4, -4, -4, -4, -4, -4, -4, -4]), [1, 1, 3, 3]);
    const options = { kernel: 2, stride: 2, padding: 1 };
    const y = maxPool2d(x, options);
    expect(Array.from(await y.data())).toEqual([-4, -4, -4, -4]);
    const dy = tensor(f32([1, 2, 3, 4]), [1, 1, 2, 2]);
    const dx = maxPool2dGrad(x, dy, { kernel: [2, 2], stride: [2, 2], padding: [1, 1] });
    // Window (1, 1) covers x[1..2, 1..2], all equal: its dy goes to x[1, 1].
    expect(Array.from(await dx.data())).toEqual([1, 2, 0, 3, 4, 0, 0, 0, 0]);
    for (const t of [x, y, dy, dx]) t.dispose();
  });

  it('of windows that tile x send each dy to its window’s first maximum, row by row, on ties', async () => {
    // [2, 3, 4, 6] in 2×3 windows: values from {0, 1, 2}, so most windows tie (as after a ReLU).
    const [n, c, h, w, kh, kw] = [2, 3, 4, 6, 2, 3];
    const xs = Float32Array.from({ length: n * c * h * w }, (_, i) => (i * 7 + (i >> 3)) % 3);
    const dys = Float32Array.from({ length: (n * c * h * w) / (kh * kw) }, (_, i) => i + 1);
    const expected = new Float32Array(xs.length);
    for (let p = 0; p < n * c; p++) {
      for (let oi = 0; oi < h / kh; oi++) {
        for (let oj = 0; oj < w / kw; oj++) {
          let at = -1;
          for (let di = 0; di < kh; di++) {
            for (let dj = 0; dj < kw; dj++) {
              const k = p * h * w + (oi * kh + di) * w + oj * kw + dj;
              if (at < 0 || (xs[k] as number) > (xs[at] as number)) at = k;
            }
          }
          expected[at] = dys[((p * h) / kh) * (w / kw) + oi * (w / kw) + oj] as number;
        }
      }
    }
    const x = tensor(xs, [n, c, h, w]);
    const dy = tensor(dys, [n, c, h / kh, w / kw]);
    const dx = maxPool2dGrad(x, dy, { kernel: [kh, kw], stride: [kh, kw], padding: [0, 0] });
    expect(Array.from(await dx.data())).toEqual(Array.from(expected));
    for (const t of [x, dy, dx]) t.dispose();
  });
});

describe('convolution gradients', () => {
  // x [3, 4, 9, 8], weights [6, 2, 3, 2], groups 2: strides that do not divide evenly, so the
  // input gradient needs output padding and the weights gradient a cut.
  const [n, c, h, w] = [3, 4, 9, 8];
  const [o, kh, kw] = [6, 3, 2];
  const a = { stride: [2, 3], padding: [1, 2], dilation: [1, 2], groups: 2 } as const;
  const ho = Math.floor((h + 2 * a.padding[0] - a.dilation[0] * (kh - 1) - 1) / a.stride[0]) + 1;
  const wo = Math.floor((w + 2 * a.padding[1] - a.dilation[1] * (kw - 1) - 1) / a.stride[1]) + 1;
  const cg = c / a.groups;
  const og = o / a.groups;
  const xs = Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i));
  const ws = Float32Array.from({ length: o * cg * kh * kw }, (_, i) => Math.cos(i));
  const dys = Float32Array.from({ length: n * o * ho * wo }, (_, i) => Math.sin(0.7 * i));

  /** Every (x, w, y) index triple that conv2d multiplies, in float64 loops. */
  const terms = (each: (xi: number, wi: number, yi: number) => void) => {
    for (let b = 0; b < n; b++)
      for (let oc = 0; oc < o; oc++)
        for (let i = 0; i < ho; i++)
          for (let j = 0; j < wo; j++)
            for (let ci = 0; ci < cg; ci++)
              for (let p = 0; p < kh; p++)
                for (let q = 0; q < kw; q++) {
                  const hh = i * a.stride[0] - a.padding[0] + p * a.dilation[0];
                  const ww = j * a.stride[1] - a.padding[1] + q * a.dilation[1];
                  if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
                  const ic = Math.floor(oc / og) * cg + ci;
                  each(
                    ((b * c + ic) * h + hh) * w + ww,
                    ((oc * cg + ci) * kh + p) * kw + q,
                    ((b * o + oc) * ho + i) * wo + j,
                  );
                }
  };
  const close = (got: Float32Array, expected: Float64Array) => {
    const worst = Math.max(...expected.map((e, i) => Math.abs(e - (got[i] as number))));
    expect(worst).toBeLessThan(1e-4);
  };

  it('conv2dInputGrad has exactly x’s shape and values', async () => {
    const expected = new Float64Array(n * c * h * w);
    terms((xi, wi, yi) => {
      expected[xi] = (expected[xi] as number) + (dys[yi] as number) * (ws[wi] as number);
    });
    const dx = conv2dInputGrad(
      tensor(dys, [n, o, ho, wo]),
      tensor(ws, [o, cg, kh, kw]),
      [n, c, h, w],
      a,
    );
    expect(dx.shape).toEqual([n, c, h, w]);
    close(await dx.data(), expected);
  });

  it('conv2dWeightsGrad, a convolution with batch and channels swapped, per group', async () => {
    const expected = new Float64Array(o * cg * kh * kw);
    terms((xi, wi, yi) => {
      expected[wi] = (expected[wi] as number) + (xs[xi] as number) * (dys[yi] as number);
    });
    const dw = conv2dWeightsGrad(
      tensor(xs, [n, c, h, w]),
      tensor(dys, [n, o, ho, wo]),
      [o, cg, kh, kw],
      a,
    );
    expect(dw.shape).toEqual([o, cg, kh, kw]);
    close(await dw.data(), expected);
  });
});
