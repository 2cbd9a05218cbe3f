// `npx tsup && node bench/matmul.mjs [rounds] [zeros]`: the matMuls of one training step of a
// 784-400-10 MLP at batch 128 (forward x·Wᵀ, then dx = dy·W and dW = dyᵀ·x), through the kernel
// table on 1 and 2 threads, interleaved round by round with the 4-row kernel that matmul.ts
// replaced (below, as it was), so that load from other processes hits every subject alike.
// Checks first that the kernels are within their error bound of that one (a float64 sum). `zeros`
// is the fraction of x's values set to 0 (MNIST images: about 0.8). Prints the median ms per
// product.
import { CpuBackend } from '../dist/index.js';

const rounds = Number(process.argv[2] ?? 15);
const zeros = Number(process.argv[3] ?? 0);

/** The previous kernel: 4 rows of op(a) at a time over float64 row accumulators. */
function previous(a, aShape, b, bShape, transposeA, transposeB) {
  const transpose2d = (x, rows, cols) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
    return out;
  };
  const left = transposeA ? transpose2d(a, aShape[0], aShape[1]) : a;
  const right = transposeB ? transpose2d(b, bShape[0], bShape[1]) : b;
  const m = transposeA ? aShape[1] : aShape[0];
  const k = transposeA ? aShape[0] : aShape[1];
  const n = transposeB ? bShape[0] : bShape[1];
  const out = new Float32Array(m * n);
  const r0 = new Float64Array(n);
  const r1 = new Float64Array(n);
  const r2 = new Float64Array(n);
  const r3 = new Float64Array(n);
  for (let i = 0; i < m; i += 4) {
    r0.fill(0);
    r1.fill(0);
    r2.fill(0);
    r3.fill(0);
    const rows = Math.min(4, m - i);
    for (let p = 0; p < k; p++) {
      const a0 = left[i * k + p];
      const a1 = rows > 1 ? left[(i + 1) * k + p] : 0;
      const a2 = rows > 2 ? left[(i + 2) * k + p] : 0;
      const a3 = rows > 3 ? left[(i + 3) * k + p] : 0;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const offset = p * n;
      for (let j = 0; j < n; j++) {
        const v = right[offset + j];
        r0[j] += a0 * v;
        r1[j] += a1 * v;
        r2[j] += a2 * v;
        r3[j] += a3 * v;
      }
    }
    out.set(r0, i * n);
    if (rows > 1) out.set(r1, (i + 1) * n);
    if (rows > 2) out.set(r2, (i + 2) * n);
    if (rows > 3) out.set(r3, (i + 3) * n);
  }
  return out;
}

function values(n, seed, zeroFraction = 0) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = u < zeroFraction ? 0 : u - 0.5;
  }
  return out;
}

const one = new CpuBackend({ name: 'cpu-1', threads: 1 });
const two = new CpuBackend({ name: 'cpu-2', threads: 2 });
if ((await two.whenReady()) !== 2) throw new Error('no worker thread');

const x = values(128 * 784, 1, zeros);
const w = values(400 * 784, 2);
const dy = values(128 * 400, 3);
const cases = [
  ['x·Wᵀ   128×784 · (400×784)ᵀ', x, [128, 784], w, [400, 784], false, true],
  ['dy·W   128×400 · 400×784', dy, [128, 400], w, [400, 784], false, false],
  ['dyᵀ·x  (128×400)ᵀ · 128×784', dy, [128, 400], x, [128, 784], true, false],
];

const subjects = {
  previous: (c) => previous(c[1], c[2], c[3], c[4], c[5], c[6]),
  ...Object.fromEntries(
    [
      ['1 thread', one],
      ['2 threads', two],
    ].map(([name, backend]) => [
      name,
      (c) => {
        const a = backend.makeTensor(c[1], c[2]);
        const b = backend.makeTensor(c[3], c[4]);
        const shape = [c[5] ? c[2][1] : c[2][0], c[6] ? c[4][0] : c[4][1]];
        const attrs = { transposeA: c[5], transposeB: c[6] };
        const t = backend.kernels.matMul([a, b], attrs, { shape, dtype: 'float32' });
        const result = t.values;
        for (const u of [a, b, t]) backend.dispose(u);
        return result;
      },
    ]),
  ),
};

for (const c of cases) {
  // Within the kernels' bound: min(k, 256) + 1 roundings of 2⁻²⁴ times Σ|a·b| (float32 blocks
  // of 256 steps, their sums added in float64), tighter than the conformance suite's k + 1.
  const expected = previous(c[1], c[2], c[3], c[4], c[5], c[6]);
  const scale = previous(c[1].map(Math.abs), c[2], c[3].map(Math.abs), c[4], c[5], c[6]);
  const k = c[5] ? c[2][0] : c[2][1];
  for (const [name, run] of Object.entries(subjects)) {
    const got = run(c);
    const outside = got.findIndex(
      (g, i) => !(Math.abs(g - expected[i]) <= (Math.min(k, 256) + 1) * 2 ** -24 * scale[i]),
    );
    if (outside >= 0) throw new Error(`${c[0]}, ${name}: element ${outside} is out of bounds`);
  }
}

const times = cases.map(() => Object.fromEntries(Object.keys(subjects).map((s) => [s, []])));
for (let round = 0; round < rounds; round++) {
  cases.forEach((c, i) => {
    for (const [name, run] of Object.entries(subjects)) {
      const start = performance.now();
      run(c);
      times[i][name].push(performance.now() - start);
    }
  });
}
const median = (list) => [...list].sort((p, q) => p - q)[list.length >> 1];
console.log(`median ms of ${rounds} rounds, x with ${zeros * 100}% zeros; within bounds: yes`);
cases.forEach((c, i) => {
  const cells = Object.entries(times[i]).map(
    ([name, list]) => `${name} ${median(list).toFixed(2)}`,
  );
  console.log(`${c[0].padEnd(30)} ${cells.join('   ')}`);
});
process.exit(0);
