/**
 * 1 thread against 2 in headless Chromium, in a cross-origin isolated page (Web Workers), as
 * `bench/threads.mjs` does in Node: the kernels alone, interleaved (ABAB…) so both see the same
 * load, median and best of 30 rounds; and the cost of a split that does nothing much (a round trip).
 *
 *   cd packages/backend-cpu && npx tsup && node bench/browser-threads.mjs [n]
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const n = Number(process.argv[2] ?? 1e6);
const page = `
import { CpuBackend } from './dist/browser.js';
globalThis.bench = async (n) => {
  const backends = { t1: new CpuBackend({ threads: 1 }), t2: new CpuBackend({ threads: 2 }) };
  const threads = await backends.t2.whenReady();
  const values = (lo, hi) => Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / n);
  const f32 = (shape) => ({ shape, dtype: 'float32' });
  const ops = Object.fromEntries(Object.entries(backends).map(([k, b]) => {
    const mu = b.makeTensor(values(-1, 1), [n]);
    const rho = b.makeTensor(values(-5, -1), [n]);
    const normal = (key) => b.kernels.randomNormal([], { key, shape: [n] }, f32([n]));
    const x = normal({ seed: 1, counter: 0 });
    const a = b.kernels.randomNormal([], { key: { seed: 2, counter: 0 }, shape: [500, 2000] }, f32([500, 2000]));
    const small = b.makeTensor(values(0, 1).subarray(0, 65536), [65536]);
    let counter = 1;
    return [k, {
      normal: () => b.dispose(normal({ seed: 1, counter: counter++ })),
      sample: () => b.dispose(b.kernels.gaussianSample([mu, rho], { key: { seed: 1, counter: counter++ } }, f32([n]))),
      logProb: () => b.dispose(b.kernels.gaussianLogRatio([x, mu, rho], { prior: { mu: 0, std: 0.1 } }, f32([]))),
      'matMul 500x2000x500': () => b.dispose(b.kernels.matMul([a, a], { transposeA: false, transposeB: true }, f32([500, 500]))),
      'relu 65536': () => b.dispose(b.kernels.relu([small], {}, f32([65536]))),
    }];
  }));
  const times = {};
  for (let round = 0; round < 30; round++) {
    for (const [k, o] of Object.entries(ops)) {
      for (const [op, f] of Object.entries(o)) {
        const t0 = performance.now();
        f();
        (times[op + ' ' + k] ??= []).push(performance.now() - t0);
      }
    }
  }
  const median = (t) => { t.sort((a, b) => a - b); return [t[0], t[t.length >> 1]]; };
  return { threads, isolated: crossOriginIsolated, medians: Object.fromEntries(Object.entries(times).map(([k, t]) => [k, median(t)])) };
};
`;
const here = fileURLToPath(new URL('..', import.meta.url));
const bundle = await build({
  stdin: { contents: page, resolveDir: here, loader: 'js' },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  write: false,
});
const script = bundle.outputFiles[0].text;
const server = createServer((req, res) => {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  if (req.url === '/page.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
  else
    res
      .writeHead(200, { 'Content-Type': 'text/html' })
      .end('<script type="module" src="/page.js"></script>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({
  executablePath: process.env.ILLIA_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  await tab.waitForFunction(() => typeof globalThis.bench === 'function');
  const { threads, isolated, medians } = await tab.evaluate((size) => globalThis.bench(size), n);
  console.log(`Chromium, cross-origin isolated: ${isolated}; the 2-thread backend runs ${threads}`);
  const ops = [...new Set(Object.keys(medians).map((k) => k.replace(/ t[12]$/, '')))];
  for (const op of ops) {
    const [[b1, t1], [b2, t2]] = [medians[`${op} t1`], medians[`${op} t2`]];
    const ms = (v) => v.toFixed(3).padStart(8);
    console.log(
      `${op.padEnd(20)} 1 thread ${ms(t1)} ms (best ${ms(b1)})   2 threads ${ms(t2)} ms (best ${ms(b2)})   median ${(t1 / t2).toFixed(2)}x`,
    );
  }
} finally {
  await browser.close();
  server.close();
}
