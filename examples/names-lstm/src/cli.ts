/** `npm run example:names-lstm`: trains a Bayesian LSTM to tell female from male first names.
 * `-- --save model.safetensors` keeps the trained weights; `-- --load model.safetensors` skips training.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { memory, ready } from '@illia-ts/core';
import { FEMALE, type NamePrediction, runNames } from './names.js';
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
  load: path(args.load),
  save: path(args.save),
  onProgress: progressBar(epochs),
});
const { counts } = result;
if (args.load !== undefined) console.log(`weights loaded from ${path(args.load)} (no training)`);
if (args.save !== undefined) console.log(`weights saved to ${path(args.save)}`);
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
