/**
 * Speed of the cpu backend's Gaussian kernels, through the public API of @illia-ts/core.
 *
 *   cd packages/backend-cpu && npx tsup && node bench/speed.mjs [--sizes 1e2,1e6] [--threads 1,2]
 *
 * Prints M elements/s (median of repeats) for `sample()` and `logProb(x)` at each size and thread
 * count, with and without the sigma cache. Run the variants side by side in one process: the
 * machine is shared, so only numbers from one run compare.
 */
import { GaussianDistribution, registerBackend, rng, setBackend } from '@illia-ts/core';
import { CpuBackend } from '../dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1].split(',').map(Number);
};
const sizes = arg('sizes', [1e2, 1e3, 1e4, 1e5, 1e6, 1e7]);
const threadCounts = arg('threads', [1, 2]);
const repeats = arg('repeats', [7])[0];

/** Median seconds per call of `fn`, each repeat running at least ~20 ms. */
function time(fn) {
  // Warm up: let V8 optimise before anything is timed.
  for (const t0 = performance.now(); performance.now() - t0 < 30; ) fn();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const ms = performance.now() - t0;
    if (ms > 20) break;
    calls *= Math.max(2, Math.ceil(25 / Math.max(ms, 0.05)));
  }
  const samples = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    samples.push((performance.now() - t0) / 1000 / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

const rows = [];
for (const threads of threadCounts) {
  for (const sigmaCache of [true, false]) {
    const name = `cpu-t${threads}-${sigmaCache ? 'cache' : 'nocache'}`;
    registerBackend(name, () => new CpuBackend({ name, threads, sigmaCache }));
    const backend = await setBackend(name);
    const used = await backend.whenReady();
    if (used !== threads) throw new Error(`${name}: ${used} threads up, not ${threads}`);
    for (const n of sizes) {
      const dist = new GaussianDistribution([n], { rhoInit: -3, rng: 1 });
      const gen = rng(2);
      const x = dist.sample(gen);
      const sample = time(() => dist.sample(gen).dispose());
      const logProb = time(() => dist.logProb(x).dispose());
      x.dispose();
      dist.dispose();
      rows.push({ threads, sigmaCache, n, sample, logProb });
    }
  }
}

const fmt = (n, s) => (n / s / 1e6).toFixed(1).padStart(7);
const us = (s) => (s * 1e6).toFixed(1).padStart(8);
console.log('| threads | σ cache | n | sample M/s | logProb M/s | sample µs | logProb µs |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.threads} | ${r.sigmaCache ? 'yes' : 'no'} | ${r.n.toExponential(0)} | ${fmt(r.n, r.sample)} | ${fmt(r.n, r.logProb)} | ${us(r.sample)} | ${us(r.logProb)} |`,
  );
}
