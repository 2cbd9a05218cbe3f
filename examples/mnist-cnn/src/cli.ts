/** `npm run example:mnist-cnn`: trains a Bayesian CNN on MNIST with a progress bar per epoch.
 * `-- --save model.safetensors` keeps the trained weights; `-- --load model.safetensors` skips training.
 */
import { memory, ready } from '@illia-ts/core';
import { commandLine, progressBar } from '@illia-ts/example-common';
import { runMnistCnn } from './mnist-cnn.js';

const { path, numeric } = commandLine('usage: npm run example:mnist-cnn [-- --save F | --load F]');

await ready();
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
  load: path('load'),
  save: path('save'),
  onProgress: progressBar(epochs),
});
if (path('load') !== undefined) console.log(`weights loaded from ${path('load')} (no training)`);
if (path('save') !== undefined) console.log(`weights saved to ${path('save')}`);
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
