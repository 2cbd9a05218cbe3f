/**
 * `npm run example:mnist`: trains a Bayesian MLP on MNIST with a progress bar per epoch.
 * `-- --save model.safetensors` keeps the trained weights, `-- --load model.safetensors` skips
 * training, and `-- --export-onnx model.onnx` exports the model with its weight sampling inside and
 * runs it on the held-out digits with plain onnxruntime-node.
 */
import { memory, ready } from '@illia-ts/core';
import { commandLine, progressBar } from '@illia-ts/example-common';
import { runMnist } from './mnist.js';

const { path, numeric } = commandLine(
  'usage: npm run example:mnist [-- --save F | --load F] [--export-onnx model.onnx]',
  ['export-onnx'],
);

await ready();
const epochs = numeric('MNIST_EPOCHS') ?? 15;
console.log(
  `Bayesian MLP 784-400-10 on MNIST (mnist package: 8,000 train, 2,000 held out), backend '${memory().backend}'`,
);
const result = await runMnist({
  epochs,
  klWeight: numeric('MNIST_KL_WEIGHT'),
  rhoInit: numeric('MNIST_RHO_INIT'),
  lr: numeric('MNIST_LR'),
  hidden: numeric('MNIST_HIDDEN'),
  seed: numeric('MNIST_SEED'),
  load: path('load'),
  save: path('save'),
  exportOnnx: path('export-onnx'),
  onProgress: progressBar(epochs),
});
if (path('load') !== undefined) console.log(`weights loaded from ${path('load')} (no training)`);
if (path('save') !== undefined) console.log(`weights saved to ${path('save')}`);
console.log(`held-out accuracy           ${(result.accuracy * 100).toFixed(2)}%   (goal ≥ 95%)`);
console.log(`expected calibration error  ${result.ece.toFixed(4)}   (goal ≤ 0.03)`);
console.log(
  `predictive entropy          digits ${result.meanEntropyDigits.toFixed(3)} nats, noise ${result.meanEntropyNoise.toFixed(3)} nats`,
);
console.log(`noise vs digits AUROC       ${result.noiseAuroc.toFixed(4)}   (goal ≥ 0.9)`);
if (result.onnx) {
  const { onnx } = result;
  let largest = 0;
  onnx.meanWeights.forEach((p, i) => {
    largest = Math.max(largest, Math.abs(p - (result.meanWeightsProbabilities[i] as number)));
  });
  console.log(
    `ONNX export                 ${onnx.path} (${(onnx.bytes / 1e6).toFixed(2)} MB, weight sampling inside)`,
  );
  console.log(
    `  run by onnxruntime-node   held-out accuracy ${(onnx.accuracy * 100).toFixed(2)}%; mean weights: ${(result.meanWeightsAccuracy * 100).toFixed(2)}%, probabilities within ${largest.toExponential(1)} of illia-ts`,
  );
}
console.log(
  `time                        ${result.seconds.toFixed(1)} s   live tensors after: ${memory().numTensors}`,
);
