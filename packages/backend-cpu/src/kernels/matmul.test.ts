import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { firstDifference, floatsOf, runKernel, startTwoThreads, values } from '../test-helpers.js';
import { matMulPanels, panelsOf } from './matmul.js';
import { wasmTiles } from './matmul-wasm.js';

const one = new CpuBackend({ threads: 1 });
/** Two threads, every product split between them. */
let two: CpuBackend;
/** Two threads at the default threshold: small matMul operands are copied to shared memory. */
let twoDefault: CpuBackend;

beforeAll(async () => {
  two = await startTwoThreads({ parallelThreshold: 1 });
  twoDefault = await startTwoThreads();
}, 60_000);

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
            const product = runKernel(backend, 'matMul', [a, b], { transposeA, transposeB }, [
              m,
              n,
            ]);
            expect(product.shape).toEqual([m, n]);
            expect(firstDifference(floatsOf(backend, product), expected)).toBe(-1);
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
