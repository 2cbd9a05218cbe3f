/**
 * The block kernels alone, on one thread, in ns per element (best of 15 rounds, the variants
 * interleaved so they see the same load). Bundles `src/kernels/jobs.ts` first, so it times the
 * sources as they are.
 *
 *   cd packages/backend-cpu && node bench/kernels.mjs [n]
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

const outDir = fileURLToPath(new URL('../node_modules/.cache/bench-kernels', import.meta.url));
await build({
  entry: { jobs: fileURLToPath(new URL('../src/kernels/jobs.ts', import.meta.url)) },
  outDir,
  format: ['esm'],
  silent: true,
  config: false,
});
const { runJob } = await import(pathToFileURL(`${outDir}/jobs.js`).href);

const n = Number(process.argv[2] ?? 2 ** 20);
const blocks = Math.ceil(n / 2048);
const uniform = (lo, hi) => Float32Array.from({ length: n }, () => lo + (hi - lo) * Math.random());
const rho = uniform(-4, -2);
const mu = uniform(-1, 1);
const out = new Float32Array(n);
const sigma = new Float64Array(n);
const logSums = new Float64Array(blocks);
runJob({ kind: 'sigma', rho, sigma, logSums }, 0, blocks);
const logRatio = (cached) => ({
  kind: 'logRatio',
  x: out,
  mu,
  rho,
  sigma: cached ? sigma : null,
  logSums: cached ? logSums : null,
  priorMu: 0,
  priorStd: 0.1,
  partials: null,
});
const jobs = {
  'normal draws': { kind: 'normal', out, seed: 1, counter: 2 },
  'sample, cached σ': { kind: 'sample', out, mu, rho, sigma, seed: 1, counter: 2 },
  'sample, no cache': { kind: 'sample', out, mu, rho, sigma: null, seed: 1, counter: 2 },
  'build σ cache': { kind: 'sigma', rho, sigma: new Float64Array(n), logSums },
  'logProb, cached σ': logRatio(true),
  'logProb, no cache': logRatio(false),
};
const best = {};
for (let round = 0; round < 15; round++) {
  for (const [name, job] of Object.entries(jobs)) {
    const t0 = performance.now();
    runJob(job, 0, blocks);
    const ns = ((performance.now() - t0) * 1e6) / n;
    best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, ns);
  }
}
for (const [name, ns] of Object.entries(best)) {
  console.log(`${name.padEnd(18)} ${ns.toFixed(2).padStart(6)} ns/element`);
}
