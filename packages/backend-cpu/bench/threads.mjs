/**
 * 1 thread against 2, interleaved (ABAB…) so both see the same load on a shared machine: the
 * kernels alone, through the kernel table, best and median of many rounds.
 *
 *   cd packages/backend-cpu && npx tsup && node bench/threads.mjs [n]
 */
import { CpuBackend } from '../dist/index.js';

const n = Number(process.argv[2] ?? 1e6);
const backends = { t1: new CpuBackend({ threads: 1 }), t2: new CpuBackend({ threads: 2 }) };
await backends.t2.whenReady();
const values = (lo, hi) => Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / n);
const ops = Object.fromEntries(
  Object.entries(backends).map(([k, b]) => {
    const mu = b.makeTensor(values(-1, 1), [n]);
    const rho = b.makeTensor(values(-5, -1), [n]);
    const out = { shape: [n], dtype: 'float32' };
    const normal = (key) => b.kernels.randomNormal([], { key, shape: [n] }, out);
    const x = normal({ seed: 1, counter: 0 });
    let counter = 1;
    return [
      k,
      {
        normal: () => b.dispose(normal({ seed: 1, counter: counter++ })),
        sample: () =>
          b.dispose(
            b.kernels.gaussianSample([mu, rho], { key: { seed: 1, counter: counter++ } }, out),
          ),
        logProb: () =>
          b.dispose(
            b.kernels.gaussianLogRatio(
              [x, mu, rho],
              { prior: { mu: 0, std: 0.1 } },
              { shape: [], dtype: 'float32' },
            ),
          ),
      },
    ];
  }),
);
const times = {};
for (let round = 0; round < 30; round++) {
  for (const [k, o] of Object.entries(ops)) {
    for (const [op, f] of Object.entries(o)) {
      const t0 = performance.now();
      f();
      const name = `${op} ${k}`;
      times[name] = [...(times[name] ?? []), performance.now() - t0];
    }
  }
}
for (const [name, t] of Object.entries(times)) {
  t.sort((a, b) => a - b);
  const rate = (ms) => ((n / ms) * 1e-3).toFixed(0).padStart(5);
  console.log(`${name.padEnd(12)} best ${rate(t[0])} M/s   median ${rate(t[t.length >> 1])} M/s`);
}
