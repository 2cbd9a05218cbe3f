/**
 * Speed of the cpu backend's Gaussian kernels, through the public API of @illia-ts/core.
 *
 *   cd packages/backend-cpu && npx tsup && node bench/speed.mjs [--sizes 1e6,1e7] [--threads 1,2]
 *     [--rounds 5] [--ops sample,sample+read,logProb]
 *
 * Prints M elements/s for `sample()`, `sample()` then `await data()` (what a user waits for), and
 * `logProb(x)` at each size and thread count, with and without the sigma cache: the median over
 * rounds and, in brackets, the slowest and fastest round. The variants take turns within each
 * round (the machine is shared: only numbers from one run compare), and the speed-up of the most
 * threads over 1 is taken within each round, then its median and range are shown.
 */
import { GaussianDistribution, registerBackend, rng, setBackend } from '@illia-ts/core';
import { CpuBackend } from '../dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1].split(',');
};
const sizes = arg('sizes', ['1e4', '1e5', '1e6', '1e7']).map(Number);
const threadCounts = arg('threads', ['1', '2']).map(Number);
const rounds = Number(arg('rounds', ['5'])[0]);
const ops = arg('ops', ['sample', 'sample+read', 'logProb']);

/** Seconds per call of `fn` (async): the median of 5 samples of at least ~20 ms each. */
async function time(fn) {
  for (const t0 = performance.now(); performance.now() - t0 < 30; ) await fn();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    const ms = performance.now() - t0;
    if (ms > 20) break;
    calls *= Math.max(2, Math.ceil(25 / Math.max(ms, 0.05)));
  }
  const samples = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    samples.push((performance.now() - t0) / 1000 / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

const variants = [];
for (const threads of threadCounts) {
  for (const sigmaCache of [true, false]) {
    const name = `cpu-t${threads}-${sigmaCache ? 'cache' : 'nocache'}`;
    registerBackend(name, () => new CpuBackend({ name, threads, sigmaCache }));
    const backend = await setBackend(name);
    const used = await backend.whenReady();
    if (used !== threads) throw new Error(`${name}: ${used} threads up, not ${threads}`);
    variants.push({ name, threads, sigmaCache });
  }
}

/** results[n][op][variant name] = seconds per call, one per round. */
const results = {};
for (const n of sizes) {
  results[n] = {};
  for (const op of ops) {
    results[n][op] = {};
    for (let round = 0; round < rounds; round++) {
      // Rotate the order from round to round, so that no variant is always first.
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(k + round) % variants.length];
        await setBackend(v.name);
        const dist = new GaussianDistribution([n], { rhoInit: -3, rng: 1 });
        const gen = rng(2);
        const x = dist.sample(gen);
        let fn;
        if (op === 'sample') fn = () => dist.sample(gen).dispose();
        else if (op === 'logProb') fn = () => dist.logProb(x).dispose();
        else {
          fn = async () => {
            const s = dist.sample(gen);
            await s.data();
            s.dispose();
          };
        }
        const s = await time(fn);
        x.dispose();
        dist.dispose();
        results[n][op][v.name] ??= [];
        results[n][op][v.name].push(s);
      }
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rate = (n, s) => n / s / 1e6;
const cell = (n, xs) => {
  const r = xs.map((s) => rate(n, s)).sort((a, b) => a - b);
  return `${median(r).toFixed(1)} [${r[0].toFixed(1)}–${r[r.length - 1].toFixed(1)}]`;
};
const most = Math.max(...threadCounts);
console.log(`${rounds} rounds; M elements/s, median [slowest–fastest round]`);
console.log(
  `| op | n | ${variants.map((v) => v.name).join(' | ')} | ${most} threads ÷ 1, cached | uncached |`,
);
console.log(`| --- | ---: | ${variants.map(() => '---:').join(' | ')} | ---: | ---: |`);
for (const n of sizes) {
  for (const op of ops) {
    const byName = results[n][op];
    const speedUp = (cache) => {
      const one = byName[`cpu-t1-${cache}`];
      const many = byName[`cpu-t${most}-${cache}`];
      if (one === undefined || many === undefined || most === 1) return 'n/a';
      const r = one.map((s, i) => s / many[i]).sort((a, b) => a - b);
      return `${median(r).toFixed(2)}× (${r[0].toFixed(2)}–${r[r.length - 1].toFixed(2)})`;
    };
    console.log(
      `| ${op} | ${n.toExponential(0)} | ${variants.map((v) => cell(n, byName[v.name])).join(' | ')} | ${speedUp('cache')} | ${speedUp('nocache')} |`,
    );
  }
}
