import { exp, logSoftmax } from '../ops/index.js';
import { type AnyTensor, tidy } from '../tensor.js';
import { describe } from '../validate.js';
import type { Module } from './module.js';

function checkSamples(where: string, samples: number): number {
  if (!(Number.isInteger(samples) && samples > 0)) {
    throw new RangeError(`${where}: samples must be a positive integer, got ${describe(samples)}`);
  }
  return samples;
}

/**
 * The predictive mean and standard deviation over `samples` forward passes (fresh weights each),
 * elementwise, as Float64Arrays of the output's size, with the output shape.
 */
export async function predictiveMoments<In extends AnyTensor>(
  model: Module<In>,
  x: In,
  samples: number,
): Promise<{ mean: Float64Array; std: Float64Array; shape: readonly number[] }> {
  checkSamples('predictiveMoments', samples);
  let sum: Float64Array | null = null;
  let squares: Float64Array | null = null;
  let shape: readonly number[] = [];
  for (let s = 0; s < samples; s++) {
    const out = tidy(() => model.forward(x));
    shape = out.shape;
    const values = await out.data();
    out.dispose();
    sum ??= new Float64Array(values.length);
    squares ??= new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      sum[i] = (sum[i] as number) + v;
      squares[i] = (squares[i] as number) + v * v;
    }
  }
  const mean = (sum as Float64Array).map((v) => v / samples);
  const std = (squares as Float64Array).map((v, i) =>
    Math.sqrt(
      Math.max(0, v / samples - (mean[i] as number) ** 2) * (samples / Math.max(1, samples - 1)),
    ),
  );
  return { mean, std, shape };
}

/**
 * Class probabilities of a classifier over `samples` forward passes: `[samples][batch·classes]`
 * softmax outputs, with the batch size and class count.
 */
export async function sampleProbabilities<In extends AnyTensor>(
  model: Module<In>,
  x: In,
  samples: number,
): Promise<{ probs: Float32Array[]; batch: number; classes: number }> {
  checkSamples('sampleProbabilities', samples);
  const probs: Float32Array[] = [];
  let batch = 0;
  let classes = 0;
  for (let s = 0; s < samples; s++) {
    const p = tidy(() => exp(logSoftmax(model.forward(x))));
    [batch, classes] = p.shape as [number, number];
    probs.push(await p.data());
    p.dispose();
  }
  return { probs, batch, classes };
}

/**
 * Uncertainty of a classifier from sampled class probabilities: the mean probabilities, the
 * predictive entropy `H[E p]` and the mutual information `H[E p] − E H[p]` per input (nats).
 */
export function classifierUncertainty(
  probs: readonly Float32Array[],
  batch: number,
  classes: number,
): { mean: Float64Array; entropy: Float64Array; mutualInformation: Float64Array } {
  const mean = new Float64Array(batch * classes);
  const expectedEntropy = new Float64Array(batch);
  for (const p of probs) {
    for (let i = 0; i < batch; i++) {
      let h = 0;
      for (let c = 0; c < classes; c++) {
        const v = p[i * classes + c] as number;
        mean[i * classes + c] = (mean[i * classes + c] as number) + v / probs.length;
        if (v > 0) h -= v * Math.log(v);
      }
      expectedEntropy[i] = (expectedEntropy[i] as number) + h / probs.length;
    }
  }
  const entropy = new Float64Array(batch);
  for (let i = 0; i < batch; i++) {
    let h = 0;
    for (let c = 0; c < classes; c++) {
      const v = mean[i * classes + c] as number;
      if (v > 0) h -= v * Math.log(v);
    }
    entropy[i] = h;
  }
  const mutualInformation = entropy.map((h, i) => Math.max(0, h - (expectedEntropy[i] as number)));
  return { mean, entropy, mutualInformation };
}

/**
 * Expected calibration error: predictions binned by confidence (`bins` equal-width bins), the
 * weighted mean of |accuracy − confidence| per bin.
 */
export function expectedCalibrationError(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  bins = 15,
): number {
  const n = labels.length;
  const count = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if ((probs[i * classes + c] as number) > (probs[i * classes + best] as number)) best = c;
    }
    const p = probs[i * classes + best] as number;
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    count[bin] = (count[bin] as number) + 1;
    confidence[bin] = (confidence[bin] as number) + p;
    if (best === labels[i]) correct[bin] = (correct[bin] as number) + 1;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const k = count[b] as number;
    if (k > 0)
      ece += (k / n) * Math.abs((correct[b] as number) / k - (confidence[b] as number) / k);
  }
  return ece;
}

/** Area under the ROC curve of scores for positives against negatives (ties count half). */
export function auroc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  const all = [
    ...Array.from(positives, (s) => ({ s, pos: 1 })),
    ...Array.from(negatives, (s) => ({ s, pos: 0 })),
  ].sort((a, b) => a.s - b.s);
  // Mann–Whitney U with average ranks for ties.
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]?.s === all[i]?.s) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]?.pos) rankSum += rank;
    i = j;
  }
  const np = positives.length;
  const nn = negatives.length;
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}
