/**
 * `npm run demo`: a learnable Gaussian on the default backend (ILLIA_BACKEND, else cpu), the way
 * illia's quick start prints what came out.
 */
import { GaussianDistribution, memory, ready, rng } from '@illia-ts/core';

const SHAPE = [1000, 1000];

function stats(values: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i] as number;
  mean /= values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += ((values[i] as number) - mean) ** 2;
  return { mean, std: Math.sqrt(squares / (values.length - 1)) };
}

const fmt = (x: number, digits = 4) => x.toFixed(digits).padStart(10);
const ms = (t: number) => `${t.toFixed(1)} ms`;

async function main(): Promise<void> {
  await ready();
  console.log(`illia-ts demo on backend '${memory().backend}'\n`);

  let t = performance.now();
  const dist = new GaussianDistribution(SHAPE, { muInit: 0.5, rhoInit: -2, rng: rng(42) });
  const [mu, rho] = await Promise.all([dist.mu.data(), dist.rho.data()]);
  const constructMs = performance.now() - t;
  const sigmaTensor = dist.sigma();
  const sigma = await sigmaTensor.data();
  sigmaTensor.dispose();

  t = performance.now();
  const draw = dist.sample();
  const x = await draw.data();
  const sampleMs = performance.now() - t;

  t = performance.now();
  const logProbTensor = dist.logProb(draw);
  const logProb = await logProbTensor.item();
  const logProbMs = performance.now() - t;
  logProbTensor.dispose();
  draw.dispose();

  const z = Float64Array.from(x, (xi, i) => (xi - (mu[i] as number)) / (sigma[i] as number));
  const m = stats(mu);
  const r = stats(rho);
  const s = stats(sigma);
  const xs = stats(x);
  const zs = stats(z);

  console.log(`GaussianDistribution(shape [${SHAPE.join(', ')}], muInit 0.5, rhoInit -2, seed 42)`);
  console.log(`  numParams          ${dist.numParams}`);
  console.log(`  mu      mean ${fmt(m.mean)}  std ${fmt(m.std)}   (expected 0.5000 and 0.1000)`);
  console.log(`  rho     mean ${fmt(r.mean)}  std ${fmt(r.std)}   (expected -2.0000 and 0.1000)`);
  console.log(
    `  sigma   mean ${fmt(s.mean)}  = softplus(rho), softplus(-2) = ${Math.log1p(Math.exp(-2)).toFixed(4)}`,
  );
  console.log('\nsample() = mu + sigma * eps');
  console.log(`  shape              [${SHAPE.join(', ')}]`);
  console.log(
    `  sample  mean ${fmt(xs.mean)}  std ${fmt(xs.std)}   (mean of mu ${m.mean.toFixed(4)}; std sqrt(std(mu)^2 + mean(sigma^2)) ${Math.sqrt(m.std ** 2 + stats(Float64Array.from(sigma, (v) => v * v)).mean).toFixed(4)})`,
  );
  console.log(`  (x - mu) / sigma: mean ${fmt(zs.mean)}  std ${fmt(zs.std)}   (expected 0 and 1)`);
  console.log('\nlogProb(sample): one-sample estimate of KL(q || N(0, 0.1^2))');
  console.log(
    `  logProb            ${logProb.toFixed(2)}  (${(logProb / dist.numParams).toFixed(4)} per parameter)`,
  );
  console.log(
    '\ntime of each first call, until the numbers are readable (cold: code not yet optimised, fresh memory; `npm run bench` times warm calls)',
  );
  console.log(`  construct          ${ms(constructMs)}`);
  console.log(
    `  sample             ${ms(sampleMs)}   ${(dist.numParams / sampleMs / 1e3).toFixed(1)} M samples/s`,
  );
  console.log(
    `  logProb            ${ms(logProbMs)}   ${(dist.numParams / logProbMs / 1e3).toFixed(1)} M elements/s`,
  );

  dist.dispose();
  const left = memory();
  console.log(`\nlive tensors after dispose: ${left.numTensors} (${left.numBytes} bytes)`);
}

await main();
