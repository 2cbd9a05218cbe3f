/** `npm run example:mnist`: trains a Bayesian MLP on MNIST with a progress bar per epoch. */
import { memory, ready } from '@illia-ts/core';
import { runMnist } from './mnist.js';

await ready();
const epochs = Number(process.env.MNIST_EPOCHS ?? 15);
console.log(
  `Bayesian MLP 784-400-10 on MNIST (mnist package: 8,000 train, 2,000 held out), backend '${memory().backend}'`,
);
const width = 30;
const numeric = (name: string) =>
  process.env[name] === undefined ? undefined : Number(process.env[name]);
const result = await runMnist({
  epochs,
  klWeight: numeric('MNIST_KL_WEIGHT'),
  rhoInit: numeric('MNIST_RHO_INIT'),
  lr: numeric('MNIST_LR'),
  hidden: numeric('MNIST_HIDDEN'),
  seed: numeric('MNIST_SEED'),
  onProgress: (epoch, fraction, loss) => {
    const done = Math.round(fraction * width);
    process.stderr.write(
      `\r  epoch ${String(epoch).padStart(2)}/${epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(fraction * 100).toFixed(0).padStart(3)}%`,
    );
    if (fraction >= 1) process.stderr.write(`  loss ${loss.toFixed(4)}\n`);
  },
});
console.log(`held-out accuracy           ${(result.accuracy * 100).toFixed(2)}%   (goal ≥ 95%)`);
console.log(`expected calibration error  ${result.ece.toFixed(4)}   (goal ≤ 0.03)`);
console.log(
  `predictive entropy          digits ${result.meanEntropyDigits.toFixed(3)} nats, noise ${result.meanEntropyNoise.toFixed(3)} nats`,
);
console.log(`noise vs digits AUROC       ${result.noiseAuroc.toFixed(4)}   (goal ≥ 0.9)`);
console.log(
  `time                        ${result.seconds.toFixed(1)} s   live tensors after: ${memory().numTensors}`,
);
