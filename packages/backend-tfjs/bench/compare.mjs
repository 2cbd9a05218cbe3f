/**
 * illia-ts on tfjs against the same math written directly in tfjs, side by side in one process.
 *
 *   npx tsup && node bench/compare.mjs                       # tfjs-backend-cpu
 *   npx tsup && ILLIA_TFJS_ENGINE=wasm node bench/compare.mjs  # the wasm engine
 *
 * Each round times one illia-ts call and the hand-written tfjs equivalent back to back, in
 * alternating order, so that noise from other processes hits both alike; the ratio is of medians.
 * Both sides compute eagerly on cpu and wasm; `logProb` reads its scalar so nothing is deferred.
 */
import { GaussianDistribution, memory, rng, setBackend } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import '../dist/index.js';

const sizes = (process.argv[2] ?? '1000,100000,1000000').split(',').map(Number);
const budgetMs = Number(process.argv[3] ?? 3000);

const backend = await setBackend('tfjs');
console.log(`engine: ${backend.engine} (traits ${JSON.stringify(backend.traits)})`);

/** `mu + softplus(rho)·N(0,1)`, directly in tfjs. */
function directSample(mu, rho, seed) {
  return tf.tidy(() =>
    tf.add(mu, tf.mul(tf.softplus(rho), tf.randomNormal(mu.shape, 0, 1, 'float32', seed))),
  );
}

/** `Σ log std − log σ − ((x−mu)/σ)²/2 + (x−muPrior)²/(2 std²)`, directly in tfjs. */
function directLogProb(x, mu, rho, muPrior, stdPrior) {
  return tf.tidy(() => {
    const sigma = tf.softplus(rho);
    const z = tf.div(tf.sub(x, mu), sigma);
    const terms = tf.add(
      tf.sub(tf.sub(Math.log(stdPrior), tf.log(sigma)), tf.mul(tf.square(z), 0.5)),
      tf.mul(tf.squaredDifference(x, muPrior), 1 / (2 * stdPrior ** 2)),
    );
    return tf.sum(terms);
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn) {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** Alternates `a` and `b` until the budget is spent; medians in ms. */
function sideBySide(a, b) {
  for (let i = 0; i < 3; i++) {
    a();
    b();
  }
  const ta = [];
  const tb = [];
  const end = performance.now() + budgetMs;
  for (let round = 0; performance.now() < end || round < 10; round++) {
    if (round % 2) {
      ta.push(time(a));
      tb.push(time(b));
    } else {
      tb.push(time(b));
      ta.push(time(a));
    }
  }
  return { illia: median(ta), direct: median(tb), rounds: ta.length };
}

const rows = [];
for (const n of sizes) {
  const dist = new GaussianDistribution([n], { rhoInit: -3, rng: 1 });
  const [mu, rho] = [dist.mu.handle(), dist.rho.handle()];
  const gen = rng(7);
  let counter = 0;
  const sample = sideBySide(
    () => dist.sample(gen).dispose(),
    () => directSample(mu, rho, `direct:${counter++}`).dispose(),
  );
  const x = dist.sample(gen);
  const xt = x.handle();
  const logProb = sideBySide(
    () => {
      const lp = dist.logProb(x);
      lp.dataSync();
      lp.dispose();
    },
    () => {
      const lp = directLogProb(xt, mu, rho, 0, 0.1);
      lp.dataSync();
      lp.dispose();
    },
  );
  x.dispose();
  dist.dispose();
  for (const [op, r] of [
    ['sample', sample],
    ['logProb', logProb],
  ]) {
    rows.push({
      op,
      n,
      'illia ms': r.illia.toFixed(3),
      'tfjs ms': r.direct.toFixed(3),
      ratio: (r.illia / r.direct).toFixed(3),
      rounds: r.rounds,
    });
  }
}
console.table(rows);
const leaked = memory().numTensors;
if (leaked !== 0) console.log(`live tfjs tensors at the end: ${leaked}`);
