import { sizeOf } from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { type BinaryOp, binaryShape, type UnaryOp } from '../kernels/maps.js';
import { matMulPanels, panelsOf } from '../kernels/matmul.js';
import { wasmTiles } from '../kernels/matmul-wasm.js';
import { testWorkerUrl } from './test-worker.js';

const one = new CpuBackend({ threads: 1 });
const uncached = new CpuBackend({ threads: 1, sigmaCache: false });
let two: CpuBackend;
/** Two threads at the default threshold: small matMul operands are copied to shared memory. */
let twoDefault: CpuBackend;

/** Uniform values in [lo, hi) from a fixed linear congruential sequence. */
function values(n: number, lo: number, hi: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/**
 * The index of the first element whose bits differ, or −1 (toEqual is slow on 10⁵ elements). Any
 * two NaNs count as equal: JavaScript and WebAssembly leave a NaN's sign and payload unspecified
 * (x64 keeps one operand's, whichever the register allocator put first).
 */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

describe('cpu kernels give bitwise the same results on 1 and 2 threads, cached or not', {
  timeout: 60_000,
}, () => {
  it('starts a worker', async () => {
    two = new CpuBackend({ threads: 2, parallelThreshold: 1, workerUrl: await testWorkerUrl() });
    expect(await two.whenReady()).toBe(2);
    twoDefault = new CpuBackend({ threads: 2, workerUrl: await testWorkerUrl() });
    expect(await twoDefault.whenReady()).toBe(2);
  });

  for (const n of [1, 2047, 2048, 2049, 10_000, 300_001]) {
    it(`randomNormal, gaussianSample and gaussianLogRatio at ${n} elements`, () => {
      const key = { seed: 7, counter: n };
      const prior = { mu: 0.1, std: 0.2 };
      const results = [one, uncached, two].map((b) => {
        const mu = b.makeTensor(values(n, -1, 1, 1), [n]);
        const rho = b.makeTensor(values(n, -20, 20, 2), [n]);
        const x = b.makeTensor(values(n, -2, 2, 3), [n]);
        const eps = b.readSync(b.randomNormal([n], key));
        const draws = [b.gaussianSample(mu, rho, key), b.gaussianSample(mu, rho, key)];
        const logRatio = b.readSync(b.gaussianLogRatio(x, mu, rho, prior))[0];
        return { eps, draws: draws.map((d) => b.readSync(d)), logRatio };
      });
      const [a, u, t] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
      for (const other of [u, t]) {
        expect(firstDifference(other.eps, a.eps), 'randomNormal').toBe(-1);
        expect(firstDifference(other.draws[0] as Float32Array, a.draws[0] as Float32Array)).toBe(
          -1,
        );
        expect(firstDifference(other.draws[1] as Float32Array, a.draws[0] as Float32Array)).toBe(
          -1,
        );
        expect(Object.is(other.logRatio, a.logRatio)).toBe(true);
      }
    });
  }
});

/** `op(a) · op(b)` in float64, p in order from 0, rounded once to float32: what matMul computes. */
function matMulReference(
  a: Float32Array,
  b: Float32Array,
  [m, k, n]: [number, number, number],
  transposeA: boolean,
  transposeB: boolean,
): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = a[transposeA ? p * m + i : i * k + p] as number;
        const y = b[transposeB ? j * k + p : p * n + j] as number;
        s += x * y;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

/** `values(n, …)` with about `fraction` of them set to 0, and `specials` written at the front. */
function sparse(n: number, fraction: number, seed: number, specials: number[] = []): Float32Array {
  const out = values(n, -1, 1, seed);
  const u = values(n, 0, 1, seed + 100);
  for (let i = 0; i < n; i++) if ((u[i] as number) < fraction) out[i] = 0;
  out.set(specials.slice(0, n));
  return out;
}

describe('matMul is the float64 sum in order, bitwise the same on 1 and 2 threads', {
  timeout: 60_000,
}, () => {
  it('has its WebAssembly SIMD kernels in Node', () => {
    expect(wasmTiles(0)).not.toBeNull();
  });
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [2, 3, 5],
    [7, 13, 9],
    [128, 784, 10],
    [301, 50, 101],
    [64, 0, 5],
  ];
  for (const [m, k, n] of shapes) {
    for (const [transposeA, transposeB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      for (const [label, zeros, specials] of [
        ['dense', 0, []],
        ['mostly zero', 0.8, []],
        ['mostly zero with inf and NaN', 0.8, [Number.POSITIVE_INFINITY, 0, Number.NaN]],
      ] as const) {
        it(`${m}×${k}·${k}×${n}, transposeA ${transposeA}, transposeB ${transposeB}, ${label}`, () => {
          const aValues = sparse(m * k, zeros, m + k, [...specials]);
          const bValues = sparse(k * n, zeros, k + n + 1);
          const expected = matMulReference(aValues, bValues, [m, k, n], transposeA, transposeB);
          for (const backend of [one, two, twoDefault]) {
            const before = backend.memory();
            const a = backend.makeTensor(aValues, transposeA ? [k, m] : [m, k]);
            const b = backend.makeTensor(bValues, transposeB ? [n, k] : [k, n]);
            const product = backend.matMul(a, b, transposeA, transposeB);
            expect(product.shape).toEqual([m, n]);
            expect(firstDifference(backend.readSync(product), expected)).toBe(-1);
            for (const t of [a, b, product]) backend.dispose(t);
            expect(backend.memory()).toEqual(before);
          }
          // The TypeScript kernels, which run where WebAssembly SIMD is missing.
          const scalar = new Float32Array(m * n);
          matMulPanels(
            aValues,
            bValues,
            scalar,
            { m, k, n },
            transposeA,
            transposeB,
            0,
            panelsOf(m),
            false,
          );
          expect(firstDifference(scalar, expected)).toBe(-1);
        });
      }
    }
  }
});

/** Float64 softplus by `Math` (fdlibm). */
function softplus64(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * Each unary op in float64: `exact` where the kernel computes the same float64 (so the float32
 * results must be bitwise those), else within float32 rounding plus 1e-8 relative (fast-math.ts,
 * whose own errors `fast-math.test.ts` proves).
 */
const UNARY_REFERENCES: Record<UnaryOp, { fn: (x: number) => number; exact: boolean }> = {
  neg: { fn: (x) => -x, exact: true },
  exp: { fn: Math.exp, exact: true },
  log: { fn: Math.log, exact: true },
  log1p: { fn: Math.log1p, exact: true },
  sqrt: { fn: Math.sqrt, exact: true },
  square: { fn: (x) => x * x, exact: true },
  abs: { fn: Math.abs, exact: true },
  relu: { fn: (x) => Math.max(x, 0), exact: true },
  softplus: { fn: softplus64, exact: false },
  sigmoid: { fn: (x) => 1 / (1 + Math.exp(-x)), exact: false },
  tanh: { fn: Math.tanh, exact: false },
};

/** Each binary op in float64 (`maximum` propagates NaN and takes 0 over −0, as tfjs). */
const BINARY_REFERENCES: Record<BinaryOp, (p: number, q: number) => number> = {
  add: (p, q) => p + q,
  sub: (p, q) => p - q,
  mul: (p, q) => p * q,
  div: (p, q) => p / q,
  maximum: Math.max,
  greater: (p, q) => (p > q ? 1 : 0),
  less: (p, q) => (p < q ? 1 : 0),
};

/** `fn(a, b)` with NumPy broadcasting over `shape`, element by element from coordinates. */
function broadcastReference(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  shape: readonly number[],
  fn: (p: number, q: number) => number,
): Float32Array {
  const out = new Float32Array(sizeOf(shape));
  /** The index in an operand of `xShape` of the output element at `coords`. */
  const indexIn = (xShape: readonly number[], coords: number[]) => {
    let index = 0;
    xShape.forEach((size, d) => {
      index =
        index * size + (size === 1 ? 0 : (coords[shape.length - xShape.length + d] as number));
    });
    return index;
  };
  for (let o = 0; o < out.length; o++) {
    const coords: number[] = [];
    let rest = o;
    for (let d = shape.length - 1; d >= 0; d--) {
      coords[d] = rest % (shape[d] as number);
      rest = Math.floor(rest / (shape[d] as number));
    }
    out[o] = fn(a[indexIn(aShape, coords)] as number, b[indexIn(bShape, coords)] as number);
  }
  return out;
}

describe('elementwise ops against float64, bitwise the same on 1 and 2 threads', {
  timeout: 60_000,
}, () => {
  const n = 70_001;
  const x = values(n, -30, 30, 11);
  x.set([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, -1e-3]);
  for (const [op, { fn, exact }] of Object.entries(UNARY_REFERENCES) as Array<
    [UnaryOp, (typeof UNARY_REFERENCES)[UnaryOp]]
  >) {
    it(`${op}${exact ? '' : ', within float32 rounding'}`, () => {
      const results = [one, two].map((backend) => {
        const t = backend.makeTensor(x, [n]);
        const y = backend[op](t);
        const values = backend.readSync(y);
        backend.dispose(t);
        backend.dispose(y);
        return values;
      });
      const [y1, y2] = results as [Float32Array, Float32Array];
      expect(firstDifference(y2, y1), '1 against 2 threads').toBe(-1);
      if (exact) {
        expect(firstDifference(y1, Float32Array.from(x, fn))).toBe(-1);
        return;
      }
      for (let i = 0; i < n; i++) {
        const ref = fn(x[i] as number);
        const got = y1[i] as number;
        if (Object.is(got, Math.fround(ref)) || (Number.isNaN(ref) && Number.isNaN(got))) continue;
        // Rounding to float32 (at most 2^-24 relative, or half a subnormal step), after the
        // kernel's own float64 error (below 1e-8 relative).
        const bound = Math.max(Math.abs(ref), 2 ** -126) * (2 ** -24 + 1e-8);
        expect(Math.abs(got - ref), `${op}(${x[i]})`).toBeLessThanOrEqual(bound);
      }
    });
  }

  const shapes: Array<[string, number[], number[]]> = [
    ['same shapes', [301, 233], [301, 233]],
    ['a scalar tensor', [301, 233], []],
    ['a scalar first', [1], [301, 233]],
    ['a bias', [301, 233], [233]],
    ['a bias with a leading 1, first', [1, 233], [301, 233]],
    ['a row of a 3-D tensor', [3, 101, 233], [1, 101, 233]],
    ['a column', [301, 1], [301, 233]],
    ['a row and a column', [1, 233], [301, 1]],
    ['a middle axis repeated', [7, 1, 50, 3], [7, 11, 50, 3]],
    ['both repeated along different axes', [2, 1, 40, 1], [1, 3, 40, 50]],
    ['two scalars', [1, 1], []],
    ['a scalar and a size-1 axis', [1], [5, 1]],
    ['nothing', [0, 3], [3]],
  ];
  for (const op of Object.keys(BINARY_REFERENCES) as BinaryOp[]) {
    for (const [label, aShape, bShape] of shapes) {
      it(`${op} with ${label}`, () => {
        const a = values(sizeOf(aShape), -3, 3, 12);
        const b = values(sizeOf(bShape), -3, 3, 13);
        a.set([0, Number.NaN, 2].slice(0, a.length));
        b.set([-0, 1, Number.NaN].slice(0, b.length));
        const shape = binaryShape(aShape, bShape);
        const expected = broadcastReference(a, aShape, b, bShape, shape, BINARY_REFERENCES[op]);
        for (const backend of [one, two]) {
          const before = backend.memory();
          const ta = backend.makeTensor(a, aShape);
          const tb = backend.makeTensor(b, bShape);
          const y = backend[op](ta, tb);
          expect(y.shape).toEqual(shape);
          expect(firstDifference(backend.readSync(y), expected)).toBe(-1);
          for (const t of [ta, tb, y]) backend.dispose(t);
          expect(backend.memory()).toEqual(before);
        }
      });
    }
  }
});
