import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { firstDifference, floatsOf, runKernel, startTwoThreads, values } from '../test-helpers.js';
import { matMulPanels, panelsOf } from './matmul.js';
import { KC, wasmTiles } from './matmul-wasm.js';

const one = new CpuBackend({ threads: 1 });
/** Two threads, every product split between them. */
let two: CpuBackend;
/** Two threads at the default threshold: small matMul operands are copied to shared memory. */
let twoDefault: CpuBackend;

beforeAll(async () => {
  two = await startTwoThreads({ parallelThreshold: 1 });
  twoDefault = await startTwoThreads();
}, 60_000);

/** `op(a)[i, p]` and `op(b)[p, j]` of row-major operands. */
const opA = (a: Float32Array, m: number, k: number, t: boolean, i: number, p: number) =>
  a[t ? p * m + i : i * k + p] as number;
const opB = (b: Float32Array, k: number, n: number, t: boolean, p: number, j: number) =>
  b[t ? j * k + p : p * n + j] as number;

/**
 * `op(a) · op(b)` in float64, p in order from 0, rounded once to float32: what the TypeScript
 * kernels compute. With `block`, what the WebAssembly SIMD kernels compute: each block of `block`
 * steps (p from 0, `block`, 2·`block`, …) summed in float32 from +0, the blocks' sums added in
 * float64. With `abs`, Σ|a·b| in float64 (the scale of the conformance suite's tolerance).
 */
function matMulReference(
  a: Float32Array,
  b: Float32Array,
  [m, k, n]: [number, number, number],
  transposeA: boolean,
  transposeB: boolean,
  { block = 0, abs = false } = {},
): Float64Array {
  const out = new Float64Array(m * n);
  const f = block > 0 ? Math.fround : (x: number) => x;
  const size = block > 0 ? block : Math.max(k, 1);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let p0 = 0; p0 < k; p0 += size) {
        let s = 0;
        for (let p = p0; p < Math.min(k, p0 + size); p++) {
          const x = opA(a, m, k, transposeA, i, p) * opB(b, k, n, transposeB, p, j);
          s = f(s + f(abs ? Math.abs(x) : x));
        }
        total += s;
      }
      out[i * n + j] = total;
    }
  }
  return out;
}

/**
 * The first element of `got` farther from the float64 product than `roundings` of ε = 2⁻²⁴ times
 * Σ|a·b| (the conformance suite's bound for matMul has k + 1), or −1; non-finite ones must match.
 */
function firstOutside(
  got: Float32Array,
  exact: Float64Array,
  scale: Float64Array,
  roundings: number,
) {
  for (let i = 0; i < got.length; i++) {
    const g = got[i] as number;
    const e = exact[i] as number;
    if (!Number.isFinite(e)) {
      if (!Object.is(g, e) && !(Number.isNaN(g) && Number.isNaN(e))) return i;
    } else if (!(Math.abs(g - e) <= roundings * 2 ** -24 * (scale[i] as number))) return i;
  }
  return -1;
}

/** `values(n, …)` with about `fraction` of them set to 0, and `specials` written at the front. */
function sparse(n: number, fraction: number, seed: number, specials: number[] = []): Float32Array {
  const out = values(n, -1, 1, seed);
  const u = values(n, 0, 1, seed + 100);
  for (let i = 0; i < n; i++) if ((u[i] as number) < fraction) out[i] = 0;
  out.set(specials.slice(0, n));
  return out;
}

describe('matMul: float32 blocks in WebAssembly SIMD, float64 in TypeScript, bitwise the same on 1 and 2 threads', {
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
    [5, 600, 17],
    // Rows in two blocks (184 rows of packed op(a) fit PACKED_A_BYTES at k = 700).
    [200, 700, 20],
    [64, 0, 5],
    [3, 4, 0],
    [0, 4, 3],
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
          const dims: [number, number, number] = [m, k, n];
          const exact = matMulReference(aValues, bValues, dims, transposeA, transposeB);
          const blocked = Float32Array.from(
            matMulReference(aValues, bValues, dims, transposeA, transposeB, { block: KC }),
          );
          const scale = matMulReference(aValues, bValues, dims, transposeA, transposeB, {
            abs: true,
          });
          for (const backend of [one, two, twoDefault]) {
            const before = backend.memory();
            const a = backend.makeTensor(aValues, transposeA ? [k, m] : [m, k]);
            const b = backend.makeTensor(bValues, transposeB ? [n, k] : [k, n]);
            const product = runKernel(backend, 'matMul', [a, b], { transposeA, transposeB }, [
              m,
              n,
            ]);
            expect(product.shape).toEqual([m, n]);
            const got = floatsOf(backend, product);
            expect(firstDifference(got, blocked)).toBe(-1);
            // Within min(k, KC) + 1 roundings: tighter than the conformance suite's k + 1.
            expect(firstOutside(got, exact, scale, Math.min(k, KC) + 1)).toBe(-1);
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
          const expected = Float32Array.from(exact);
          expect(firstDifference(scalar, expected)).toBe(-1);
        });
      }
    }
  }
});
