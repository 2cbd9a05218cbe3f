/**
 * The training step's batch and its float64 reference: what every subject's gradients are checked
 * against before its training step is timed.
 */
import type { Prior } from './reference.js';
import { softplus64 } from './reference.js';
import type { TrainCheckValues, TrainSetup } from './subjects/types.js';

/** The batch every subject trains on: inputs in [0, 1) from `seed` and labels `row mod classes`. */
export function trainBatch(
  setup: Pick<TrainSetup, 'input' | 'classes' | 'batch'>,
  seed: number,
): { x: Float32Array; labels: Int32Array } {
  const x = new Float32Array(setup.batch * setup.input);
  let state = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < x.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    x[i] = (state >>> 8) / 2 ** 24;
  }
  const labels = new Int32Array(setup.batch);
  for (let r = 0; r < setup.batch; r++) labels[r] = r % setup.classes;
  return { x, labels };
}

/** Relative L2 error that each gradient tensor may have against float64. */
export const GRAD_TOLERANCE = 1e-3;

/** What the training check found; `problems` is empty when the subject is right. */
export interface TrainCheckResult {
  /** Largest relative L2 error of a parameter's gradient against float64. */
  readonly gradRelError: number;
  /** Relative error of the deterministic step's loss against float64. */
  readonly lossRelError: number;
  /** Loss of the first and of the last checked training step. */
  readonly firstLoss: number;
  readonly lastLoss: number;
  readonly problems: readonly string[];
}

/**
 * The loss and gradients, in float64, of the ELBO of a two-layer MLP whose layers are frozen at
 * their means: `CE(relu(x·W1ᵀ + b1)·W2ᵀ + b2, labels) + klWeight · KL / numWeights`, where
 * each layer's one-sample KL scores the means themselves, `Σ log N(mu; mu, σ) − log N(mu; prior)`.
 * `params` is `[W1.mu, W1.rho, b1.mu, b1.rho, W2.mu, W2.rho, b2.mu, b2.rho]`, W as `[out, in]`.
 */
export function trainReference(
  setup: TrainSetup,
  hidden: number,
  params: readonly Float32Array[],
  x: Float32Array,
  labels: Int32Array,
  prior: Prior,
): { loss: number; grads: Float64Array[] } {
  const { input: I, classes: C, batch: B, klWeight } = setup;
  const H = hidden;
  const [w1, w1rho, b1, b1rho, w2, w2rho, b2, b2rho] = params as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  // Forward.
  const z1 = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      let s = b1[h] as number;
      const xo = b * I;
      const wo = h * I;
      for (let i = 0; i < I; i++) s += (x[xo + i] as number) * (w1[wo + i] as number);
      z1[b * H + h] = s;
    }
  }
  const a1 = z1.map((v) => Math.max(v, 0));
  const dLogits = new Float64Array(B * C);
  let ce = 0;
  for (let b = 0; b < B; b++) {
    const logits = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let s = b2[c] as number;
      for (let h = 0; h < H; h++) s += (a1[b * H + h] as number) * (w2[c * H + h] as number);
      logits[c] = s;
    }
    const max = Math.max(...logits);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp((logits[c] as number) - max);
    const logSum = max + Math.log(sum);
    const label = labels[b] as number;
    ce -= ((logits[label] as number) - logSum) / B;
    for (let c = 0; c < C; c++) {
      dLogits[b * C + c] = (Math.exp((logits[c] as number) - logSum) - (c === label ? 1 : 0)) / B;
    }
  }
  // Backward through the layers.
  const gw2 = new Float64Array(C * H);
  const gb2 = new Float64Array(C);
  const dz1 = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const d = dLogits[b * C + c] as number;
      gb2[c] = (gb2[c] as number) + d;
      for (let h = 0; h < H; h++) {
        gw2[c * H + h] = (gw2[c * H + h] as number) + d * (a1[b * H + h] as number);
        if ((z1[b * H + h] as number) > 0)
          dz1[b * H + h] = (dz1[b * H + h] as number) + d * (w2[c * H + h] as number);
      }
    }
  }
  const gw1 = new Float64Array(H * I);
  const gb1 = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const d = dz1[b * H + h] as number;
      if (d === 0) continue;
      gb1[h] = (gb1[h] as number) + d;
      const xo = b * I;
      const wo = h * I;
      for (let i = 0; i < I; i++) gw1[wo + i] = (gw1[wo + i] as number) + d * (x[xo + i] as number);
    }
  }
  // The KL term: at x = mu, log N(mu; mu, σ) = −log σ − log √(2π), and the prior's term is
  // −log N(mu; priorMu, std); its gradient is (mu − priorMu)/std² for mu, −σ'(rho)/σ for rho.
  const numWeights = w1.length + b1.length + w2.length + b2.length;
  const scale = klWeight / numWeights;
  const logStd = Math.log(prior.std);
  let kl = 0;
  const klMu = (mu: Float32Array, g: Float64Array) => {
    for (let i = 0; i < mu.length; i++) {
      const d = (mu[i] as number) - prior.mu;
      kl += (d * d) / (2 * prior.std * prior.std) + logStd;
      g[i] = (g[i] as number) + (scale * d) / (prior.std * prior.std);
    }
  };
  const klRho = (rho: Float32Array) => {
    const g = new Float64Array(rho.length);
    for (let i = 0; i < rho.length; i++) {
      const r = rho[i] as number;
      const sigma = softplus64(r);
      kl -= Math.log(sigma);
      g[i] = (-scale * (1 / (1 + Math.exp(-r)))) / sigma;
    }
    return g;
  };
  klMu(w1, gw1);
  klMu(b1, gb1);
  klMu(w2, gw2);
  klMu(b2, gb2);
  const grads = [gw1, klRho(w1rho), gb1, klRho(b1rho), gw2, klRho(w2rho), gb2, klRho(b2rho)];
  return { loss: ce + scale * kl, grads };
}

/**
 * Checks a subject's training: the deterministic step's loss and every gradient against float64
 * (relative L2 error ≤ {@link GRAD_TOLERANCE} per parameter), and the training steps' losses for
 * being finite and for falling from the first to the last.
 */
export function checkTraining(
  setup: TrainSetup,
  hidden: number,
  values: TrainCheckValues,
  batch: { x: Float32Array; labels: Int32Array },
  prior: Prior,
): TrainCheckResult {
  const problems: string[] = [];
  const names = ['W1.mu', 'W1.rho', 'b1.mu', 'b1.rho', 'W2.mu', 'W2.rho', 'b2.mu', 'b2.rho'];
  if (values.params.length !== 8 || values.grads.length !== 8) {
    problems.push(
      `expected 8 parameters and gradients, got ${values.params.length} and ${values.grads.length}`,
    );
    return {
      gradRelError: Number.NaN,
      lossRelError: Number.NaN,
      firstLoss: Number.NaN,
      lastLoss: Number.NaN,
      problems,
    };
  }
  return compareTraining(
    names,
    trainReference(setup, hidden, values.params, batch.x, batch.labels, prior),
    values,
  );
}

/**
 * Compares a subject's training with a float64 reference of its deterministic step (`ref`, the
 * gradients in the order of `names`): the loss within 1e-4 and each gradient within
 * {@link GRAD_TOLERANCE} relative L2 error; then the training steps' losses must be finite and
 * fall from the first to the last. Used by the MLP's check and the CNN's (`cnn-reference.ts`).
 */
export function compareTraining(
  names: readonly string[],
  ref: { loss: number; grads: readonly Float64Array[] },
  values: TrainCheckValues,
): TrainCheckResult {
  const problems: string[] = [];
  let gradRelError = 0;
  ref.grads.forEach((r, k) => {
    const g = values.grads[k] as Float32Array;
    if (g.length !== r.length) {
      problems.push(`gradient of ${names[k]} has ${g.length} elements, expected ${r.length}`);
      gradRelError = Number.NaN;
      return;
    }
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < r.length; i++) {
      diff += ((g[i] as number) - (r[i] as number)) ** 2;
      norm += (r[i] as number) ** 2;
    }
    const rel = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
    if (!(rel <= GRAD_TOLERANCE)) {
      problems.push(
        `gradient of ${names[k]}: relative error ${rel.toExponential(2)} against float64 > ${GRAD_TOLERANCE}`,
      );
    }
    gradRelError = Math.max(gradRelError, rel); // NaN stays NaN
  });
  const lossRelError = Math.abs(values.loss - ref.loss) / Math.max(Math.abs(ref.loss), 1e-30);
  if (!(lossRelError <= 1e-4)) {
    problems.push(
      `loss ${values.loss} vs float64 reference ${ref.loss}: relative error ${lossRelError.toExponential(2)} > 1e-4`,
    );
  }
  const losses = values.losses;
  const firstLoss = losses[0] ?? Number.NaN;
  const lastLoss = losses.at(-1) ?? Number.NaN;
  if (!losses.every(Number.isFinite)) {
    problems.push(`training losses are not all finite: ${losses.join(', ')}`);
  } else if (!(lastLoss < firstLoss)) {
    problems.push(
      `the loss did not fall over ${losses.length} steps on one batch: ${losses.map((l) => l.toFixed(4)).join(', ')}`,
    );
  }
  return { gradRelError, lossRelError, firstLoss, lastLoss, problems };
}
