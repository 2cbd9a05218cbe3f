/** `npm run example:mnist-cnn`: trains a Bayesian CNN on MNIST with a progress bar per epoch.
 * `-- --save model.safetensors` keeps the trained weights; `-- --load model.safetensors` skips training.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { memory, ready } from '@illia-ts/core';
import { runMnistCnn } from './mnist-cnn.js';
import { progressBar } from './progress.js';

const { values: args } = parseArgs({
  options: { save: { type: 'string' }, load: { type: 'string' } },
});
// npm runs the script in the example's folder; paths are the caller's (INIT_CWD).
const path = (p: string | undefined) =>
  p === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), p);

await ready();
const numeric = (name: string) =>
  process.env[name] === undefined ? undefined : Number(process.env[name]);
const epochs = numeric('MNIST_EPOCHS') ?? 10;
const channels = process.env.MNIST_CHANNELS?.split(',').map(Number) as [number, number] | undefined;
const result = await runMnistCnn({
  epochs,
  channels,
  hidden: numeric('MNIST_HIDDEN'),
  batchSize: numeric('MNIST_BATCH'),
  klWeight: numeric('MNIST_KL_WEIGHT'),
  rhoInit: numeric('MNIST_RHO_INIT'),
  lr: numeric('MNIST_LR'),
  samples: numeric('MNIST_SAMPLES'),
  shift: numeric('MNIST_SHIFT'),
  seed: numeric('MNIST_SEED'),
  load: path(args.load),
  save: path(args.save),
  onProgress: progressBar(epochs),
});
if (args.load !== undefined) console.log(`weights loaded from ${path(args.load)} (no training)`);
if (args.save !== undefined) console.log(`weights saved to ${path(args.save)}`);
console.log(
  `Bayesian CNN on MNIST (mnist package: 8,000 train, 2,000 held out), ${result.numWeights} Gaussian weights, backend '${memory().backend}'`,
);
console.log(`held-out accuracy           ${(result.accuracy * 100).toFixed(2)}%   (goal ≥ 98%)`);
console.log(`expected calibration error  ${result.ece.toFixed(4)}   (goal ≤ 0.02)`);
console.log(
  `predictive entropy          digits ${result.meanEntropyDigits.toFixed(3)} nats, noise ${result.meanEntropyNoise.toFixed(3)} nats`,
);
console.log(`noise vs digits AUROC       ${result.noiseAuroc.toFixed(4)}   (goal ≥ 0.95)`);
console.log(
  `time                        ${result.seconds.toFixed(1)} s (training ${result.trainSeconds.toFixed(1)} s; goal < 180 s on cpu)   live tensors after: ${memory().numTensors}`,
);
