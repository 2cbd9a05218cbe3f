/**
 * The page of `browser.test.ts`, bundled by esbuild for the browser: `window.runCpu(threads)`
 * trains a Bayesian MLP for a few steps and draws from a Gaussian on a cpu backend of `threads`
 * threads, with a low split threshold so that most kernels are split, and returns the threads in
 * use, how many kernels ran split, and the bits of every result.
 */
import {
  Adam,
  ELBOLoss,
  GaussianDistribution,
  Linear,
  matMul,
  mseLoss,
  ReLU,
  randomNormal,
  registerBackend,
  Sequential,
  setBackend,
  valueAndGrad,
} from '@illia-ts/core';
import { CpuBackend } from '../browser.js';

/** The float32 bits of `values` as hex, one string per array. */
function bits(values: Float32Array | Int32Array): string {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let out = '';
  for (const w of words) out += w.toString(16).padStart(8, '0');
  return out;
}

async function runCpu(threads: number): Promise<{
  threads: number;
  isolated: boolean;
  splitJobs: number;
  rangesOnWorkers: number;
  results: string[];
}> {
  const name = `cpu-${threads}-${Math.random().toString(36).slice(2)}`;
  const backend = new CpuBackend({ name, threads, parallelThreshold: 1024 });
  const inUse = await backend.whenReady();
  registerBackend(name, () => backend);
  await setBackend(name);
  const results: string[] = [];
  const normal = randomNormal([300, 700], 7);
  const product = matMul(normal, randomNormal([700, 90], 8));
  results.push(bits(await normal.data()), bits(await product.data()));
  const dist = new GaussianDistribution([200_000], { rng: 3 });
  const draw = dist.sample();
  results.push(bits(await draw.data()), bits(await dist.logProb(draw).data()));
  const layer = (i: number, o: number) =>
    new Linear(i, o, { weightsDistribution: { rhoInit: -5 }, rng: 11 });
  const model = new Sequential(
    layer(16, 256),
    new ReLU(),
    layer(256, 256),
    new ReLU(),
    layer(256, 1),
  );
  const x = randomNormal([512, 16], 12);
  const y = randomNormal([512, 1], 13);
  const elbo = new ELBOLoss(mseLoss, { numSamples: 1, klWeight: 0.01 });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  for (let step = 0; step < 3; step++) {
    const { value, grads } = valueAndGrad(() => elbo.call(model, x, y), model.parameters());
    optimizer.step(grads);
    for (const g of grads) g.dispose();
    results.push(bits(await value.data()));
    value.dispose();
  }
  for (const p of model.parameters()) results.push(bits(await p.data()));
  return {
    threads: inUse,
    isolated: globalThis.crossOriginIsolated === true,
    splitJobs: backend.splitJobs,
    rangesOnWorkers: backend.rangesOnWorkers,
    results,
  };
}

(globalThis as { runCpu?: typeof runCpu }).runCpu = runCpu;
