/**
 * The elementwise kernels alone, on one thread, in ns per element (best of 15 rounds). Bundles
 * `src/kernels/maps.ts` first, so it times the sources as they are; given the folder of another
 * copy of `maps.ts` (with the files it imports), times that copy too, interleaved with this one
 * round by round so both see the same load.
 *
 *   cd packages/backend-cpu && node bench/elementwise.mjs [folder of another maps.ts]
 *
 * The cases are those of a training step of a 784-400-10 MLP, batch 128: Adam's products of a
 * 400×784 tensor by a scalar, same-shape sums and quotients, a bias added to 128×400 activations,
 * the sigmoids of those; and a column broadcast, which takes the general path.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

/** Bundles `folder/maps.ts` into `outDir/name.js` and imports it. */
async function load(folder, name) {
  const outDir = fileURLToPath(
    new URL('../node_modules/.cache/bench-elementwise', import.meta.url),
  );
  await build({
    entry: { [name]: `${folder}/maps.ts` },
    outDir,
    format: ['esm'],
    silent: true,
    config: false,
    clean: false,
  });
  return import(pathToFileURL(`${outDir}/${name}.js`).href);
}

const variants = [
  ['new', await load(fileURLToPath(new URL('../src/kernels', import.meta.url)), 'new')],
];
if (process.argv[2] !== undefined) variants.unshift(['old', await load(process.argv[2], 'old')]);

const uniform = (n, lo, hi) =>
  Float32Array.from({ length: n }, () => lo + (hi - lo) * Math.random());
const size = (shape) => shape.reduce((p, d) => p * d, 1);

/** Binary op `op` on operands of `aShape` and `bShape` broadcast to `shape`. */
function binary(label, op, aShape, bShape, shape) {
  const a = uniform(size(aShape), -3, 3);
  const b = uniform(size(bShape), 0.5, 3);
  const out = new Float32Array(size(shape));
  return {
    label,
    n: out.length,
    make: (mod) => {
      const layout = mod.binaryLayout(aShape, bShape, shape);
      if (layout !== null) return () => mod.binaryRange(op, a, b, out, layout, 0, out.length);
      // The copy from before this work sends other broadcasts to `elementwise.ts`.
      const fn = { add: (p, q) => p + q, mul: (p, q) => p * q }[op];
      return () => mod.mapBinary(a, aShape, b, bShape, fn, shape, out);
    },
  };
}

/** Unary op `op` on `n` values in `[lo, hi)`. */
function unary(label, op, n, lo, hi) {
  const x = uniform(n, lo, hi);
  const out = new Float32Array(n);
  return { label, n, make: (mod) => () => mod.unaryRange(op, x, out, 0, n) };
}

const cases = [
  binary('mul 400×784 by a scalar', 'mul', [400, 784], [], [400, 784]),
  binary('mul a scalar by 400×784', 'mul', [], [400, 784], [400, 784]),
  binary('add 400×784 + 400×784', 'add', [400, 784], [400, 784], [400, 784]),
  binary('sub 400×784 − 400×784', 'sub', [400, 784], [400, 784], [400, 784]),
  binary('div 400×784 / 400×784', 'div', [400, 784], [400, 784], [400, 784]),
  binary('add 128×400 + bias [400]', 'add', [128, 400], [400], [128, 400]),
  binary('add 128×400 + column [128,1]', 'add', [128, 400], [128, 1], [128, 400]),
  unary('sigmoid 128×400 in [−6, 6)', 'sigmoid', 128 * 400, -6, 6),
  unary('tanh 128×400 in [−3, 3)', 'tanh', 128 * 400, -3, 3),
  unary('softplus 400×784 in [−8, 8)', 'softplus', 400 * 784, -8, 8),
  unary('square 400×784', 'square', 400 * 784, -3, 3),
  unary('sqrt 400×784', 'sqrt', 400 * 784, 0, 3),
];

const rounds = 15;
const rows = [];
for (const c of cases) {
  const fns = variants.map(([, mod]) => c.make(mod));
  // At least 2·10⁶ elements a round, so that each timing is well above the timer's resolution.
  const reps = Math.max(1, Math.ceil(2e6 / c.n));
  const best = fns.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, v) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) fn();
      const ns = Number(process.hrtime.bigint() - t0) / (reps * c.n);
      best[v] = Math.min(best[v], ns);
    });
  }
  rows.push([c.label, ...best.map((ns) => ns.toFixed(2))]);
}
const header = ['ns/element, 1 thread', ...variants.map(([name]) => name)];
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
