/** `npm run example:names-lstm`: trains a Bayesian LSTM to tell female from male first names.
 * `-- --save model.safetensors` keeps the trained weights; `-- --load model.safetensors` skips training.
 */
import { memory, ready } from '@illia-ts/core';
import { commandLine, progressBar } from '@illia-ts/example-common';
import { FEMALE, type NamePrediction, runNames } from './names.js';

const { path, numeric } = commandLine('usage: npm run example:names-lstm [-- --save F | --load F]');

await ready();
const epochs = numeric('NAMES_EPOCHS') ?? 12;
const result = await runNames({
  epochs,
  embeddingsDim: numeric('NAMES_EMBEDDING'),
  hiddenSize: numeric('NAMES_HIDDEN'),
  batchSize: numeric('NAMES_BATCH'),
  lr: numeric('NAMES_LR'),
  klWeight: numeric('NAMES_KL_WEIGHT'),
  rhoInit: numeric('NAMES_RHO_INIT'),
  stdPrior: numeric('NAMES_STD_PRIOR'),
  samples: numeric('NAMES_SAMPLES'),
  seed: numeric('NAMES_SEED'),
  load: path('load'),
  save: path('save'),
  onProgress: progressBar(epochs),
});
const { counts } = result;
if (path('load') !== undefined) console.log(`weights loaded from ${path('load')} (no training)`);
if (path('save') !== undefined) console.log(`weights saved to ${path('save')}`);
console.log(
  `Bayesian LSTM over first names (${counts.train} training names, ${counts.heldOut} held out, ${counts.both} on both lists), backend '${memory().backend}'`,
);
console.log(
  `held-out accuracy                 ${(result.accuracy * 100).toFixed(2)}%   (goal ≥ 80%)`,
);
console.log(
  `both-list vs held-out, entropy    AUROC ${result.entropyAuroc.toFixed(4)}   (goal ≥ 0.7)`,
);
console.log(`both-list vs held-out, mutual inf AUROC ${result.mutualInformationAuroc.toFixed(4)}`);
const row = (p: NamePrediction) =>
  `  ${p.name.padEnd(12)} ${p.label < 0 ? 'both  ' : p.label === FEMALE ? 'female' : 'male  '}  P(female) ${p.pFemale.toFixed(2)}  entropy ${p.entropy.toFixed(3)}  MI ${p.mutualInformation.toFixed(4)}`;
const pick = (list: readonly NamePrediction[], names: readonly string[]) =>
  names.flatMap((n) => list.filter((p) => p.name === n));
const byEntropy = [...result.heldOut].sort((a, b) => a.entropy - b.entropy);
console.log('some names on both lists:');
for (const p of pick(result.both, ['Jean', 'Leslie', 'Kim', 'Robin', 'Jody', 'Sandy']))
  console.log(row(p));
console.log('the most and the least certain held-out names:');
for (const p of [...byEntropy.slice(0, 3), ...byEntropy.slice(-3)]) console.log(row(p));
console.log(
  `time                              ${result.seconds.toFixed(1)} s (training ${result.trainSeconds.toFixed(1)} s; goal < 180 s on cpu)   live tensors after: ${memory().numTensors}`,
);
