/**
 * GFLOP/s of the conv2d kernels (forward, x's gradient, the weights' gradient) at batch 64 on
 * LeNet-like layers, through the kernel table. The f32x4 SIMD peak to hold them against is the
 * bench's `ceiling:wasm-f32x4` row (`npm run bench -- --ops conv2d`). FLOPs are
 * 2 × multiply-adds. Each figure is the best and the median of `repeats` runs after 3 warm-up
 * runs. On one thread, the time is the process's CPU time (on a shared machine, wall time also
 * counts the time other processes held the core); on two, wall time. Needs `dist` (`npx tsup`).
 *
 *   cd packages/backend-cpu && npx tsup && node bench/conv.mjs [repeats]
 */
import { CpuBackend } from '../dist/index.js';

const repeats = Number(process.argv[2] ?? 15);

/** Milliseconds of `run`: CPU time of this process (`cpu`) or wall time. */
function measure(run, cpu) {
  if (cpu) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  }
  const start = performance.now();
  run();
  return performance.now() - start;
}

/** Best and median ms of `run` over the repeats, after warm-up. */
function time(run, cpu) {
  for (let i = 0; i < 3; i++) run();
  const times = [];
  for (let i = 0; i < repeats; i++) times.push(measure(run, cpu));
  times.sort((p, q) => p - q);
  return { best: times[0], median: times[times.length >> 1] };
}

const gflops = (flops, ms) => (flops / ms / 1e6).toFixed(1).padStart(5);

function values(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

const layers = [
  { name: '1→16 5×5 on 28×28', x: [64, 1, 28, 28], w: [16, 1, 5, 5], padding: 0 },
  { name: '16→32 5×5 on 12×12', x: [64, 16, 12, 12], w: [32, 16, 5, 5], padding: 0 },
  { name: '32→64 3×3 on 14×14, pad 1', x: [64, 32, 14, 14], w: [64, 32, 3, 3], padding: 1 },
];
const size = (shape) => shape.reduce((p, q) => p * q, 1);

const one = new CpuBackend({ name: 'cpu-1', threads: 1 });
const two = new CpuBackend({ name: 'cpu-2', threads: 2 });
if ((await two.whenReady()) !== 2) throw new Error('no worker thread');

console.log(`GFLOP/s at batch 64, best and median of ${repeats} runs (ms in brackets)`);
for (const [label, backend, cpu] of [
  ['1 thread (CPU time)', one, true],
  ['2 threads (wall time)', two, false],
]) {
  console.log(label);
  const k = backend.kernels;
  for (const layer of layers) {
    const p = layer.padding;
    const attrs = { stride: [1, 1], padding: [p, p], dilation: [1, 1], groups: 1 };
    const [n, c, h, w] = layer.x;
    const [o, , kh, kw] = layer.w;
    const yShape = [n, o, h + 2 * p - kh + 1, w + 2 * p - kw + 1];
    const flops = 2 * size(yShape) * c * kh * kw;
    const x = backend.makeTensor(values(size(layer.x), 3), layer.x);
    const wt = backend.makeTensor(values(size(layer.w), 4), layer.w);
    const dy = backend.makeTensor(values(size(yShape), 5), yShape);
    const out = (shape) => ({ shape, dtype: 'float32' });
    const ops = {
      forward: () => k.conv2d([x, wt], attrs, out(yShape)),
      "x's gradient": () =>
        k.conv2dInputGrad([dy, wt], { ...attrs, inputShape: layer.x }, out(layer.x)),
      "weights' gradient": () =>
        k.conv2dWeightsGrad([x, dy], { ...attrs, weightsShape: layer.w }, out(layer.w)),
    };
    const rows = Object.entries(ops).map(([op, run]) => [
      op,
      1,
      time(() => backend.dispose(run()), cpu),
    ]);
    const all = () => {
      for (const run of Object.values(ops)) backend.dispose(run());
    };
    rows.push(['forward + both gradients', 3, time(all, cpu)]);
    const trainFirst = () => {
      backend.dispose(ops.forward());
      backend.dispose(ops["weights' gradient"]());
    };
    if (c === 1) rows.push(['forward + weights gradient', 2, time(trainFirst, cpu)]);
    for (const [op, times, t] of rows) {
      const cells = `${gflops(times * flops, t.best)} ${gflops(times * flops, t.median)}`;
      const ms = `(${t.best.toFixed(2)} / ${t.median.toFixed(2)} ms)`;
      console.log(`  ${layer.name.padEnd(27)} ${op.padEnd(26)} ${cells}   ${ms}`);
    }
    for (const t of [x, wt, dy]) backend.dispose(t);
  }
}
process.exit(0);
