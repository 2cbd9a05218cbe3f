/**
 * `npm run example:mnist`: trains a Bayesian MLP on MNIST with a progress bar per epoch.
 * `-- --save model.safetensors` keeps the trained weights, `-- --load model.safetensors` skips
 * training, and `-- --export-onnx model.onnx` exports the model with its weight sampling inside and
 * runs it on the held-out digits with plain onnxruntime-node.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { memory, ready } from '@illia-ts/core';
import { runMnist } from './mnist.js';
import { progressBar } from './progress.js';

const { values: args } = parseArgs({
  options: {
    save: { type: 'string' },
    load: { type: 'string' },
    'export-onnx': { type: 'string' },
  },
});
// npm runs the script in the example's folder; paths are the caller's (INIT_CWD).
const path = (p: string | undefined) =>
  p === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), p);

await ready();
const epochs = Number(process.env.MNIST_EPOCHS ?? 15);
console.log(
  `Bayesian MLP 784-400-10 on MNIST (mnist package: 8,000 train, 2,000 held out), backend '${memory().backend}'`,
);
const numeric = (name: string) =>
  process.env[name] === undefined ? undefined : Number(process.env[name]);
const result = await runMnist({
  epochs,
  klWeight: numeric('MNIST_KL_WEIGHT'),
  rhoInit: numeric('MNIST_RHO_INIT'),
  lr: numeric('MNIST_LR'),
  hidden: numeric('MNIST_HIDDEN'),
  seed: numeric('MNIST_SEED'),
  load: path(args.load),
  save: path(args.save),
  exportOnnx: path(args['export-onnx']),
  onProgress: progressBar(epochs),
});
if (args.load !== undefined) console.log(`weights loaded from ${path(args.load)} (no training)`);
if (args.save !== undefined) console.log(`weights saved to ${path(args.save)}`);
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
