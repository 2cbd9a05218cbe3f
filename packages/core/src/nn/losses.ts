import {
  add,
  exp,
  logSoftmax,
  mean as meanOver,
  mul,
  neg,
  oneHot,
  square,
  sub,
  sum,
} from '../ops/index.js';
import { formatShape, sameShape } from '../shape.js';
import { type AnyTensor, Tensor, tidy } from '../tensor.js';
import { checkFinite, checkOptions, describe } from '../validate.js';
import { isBayesian, type KlMethod, leafModules, type Module } from './module.js';

/** Mean squared error over all elements. */
export function mseLoss(prediction: Tensor, target: Tensor): Tensor {
  if (
    !(prediction instanceof Tensor) ||
    !(target instanceof Tensor) ||
    !sameShape(prediction.shape, target.shape)
  ) {
    throw new RangeError(
      `mseLoss: prediction and target must be tensors of one shape, got ${prediction instanceof Tensor ? formatShape(prediction.shape) : describe(prediction)} and ${target instanceof Tensor ? formatShape(target.shape) : describe(target)}`,
    );
  }
  return tidy(() => meanOver(square(sub(prediction, target))));
}

/** Options of {@link gaussianNllLoss}. */
export interface GaussianNllLossOptions {
  /** Adds the constant `log(2π)/2` per element (PyTorch's `full`). Default false. */
  full?: boolean;
}

/**
 * The Gaussian negative log-likelihood of `target` under `N(mean, exp(logVariance))`, averaged
 * over elements: `mean(½·(logVariance + (target − mean)²·exp(−logVariance)))` (PyTorch's
 * `GaussianNLLLoss` with the variance given by its log, so it needs no clamping). A model that
 * predicts `logVariance` learns the data's noise; its weights' spread is the model's own
 * uncertainty. `logVariance` may also broadcast (one learnt noise level for every output).
 */
export function gaussianNllLoss(
  mean: Tensor,
  logVariance: Tensor,
  target: Tensor,
  options: GaussianNllLossOptions = {},
): Tensor {
  checkOptions('gaussianNllLoss', options);
  const where = 'gaussianNllLoss';
  for (const [arg, t] of [
    ['mean', mean],
    ['logVariance', logVariance],
    ['target', target],
  ] as const) {
    if (!(t instanceof Tensor))
      throw new TypeError(`${where}: ${arg} must be a Tensor, got ${describe(t)}`);
    if (t.dtype !== 'float32')
      throw new TypeError(`${where}: ${arg} must be a float32 tensor, got ${t.dtype}`);
  }
  if (!sameShape(mean.shape, target.shape)) {
    throw new RangeError(
      `${where}: mean and target must have one shape, got ${formatShape(mean.shape)} and ${formatShape(target.shape)}`,
    );
  }
  const lv = logVariance.shape;
  const s = mean.shape;
  if (lv.length > s.length || lv.some((d, k) => d !== 1 && d !== s[s.length - lv.length + k])) {
    throw new RangeError(
      `${where}: logVariance must have the shape of mean ${formatShape(s)} or broadcast to it, got ${formatShape(lv)}`,
    );
  }
  const constant = options.full ? 0.5 * Math.log(2 * Math.PI) : 0;
  return tidy(() => {
    const perElement = add(logVariance, mul(square(sub(target, mean)), exp(neg(logVariance))));
    const loss = meanOver(mul(perElement, 0.5));
    return constant === 0 ? loss : add(loss, constant);
  });
}

/**
 * Mean cross-entropy of `logits` (`[batch, classes]`) against integer `labels` (an array, or an
 * int32 tensor of `[batch]`) or one-hot float32 rows of the logits' shape.
 */
export function crossEntropyLoss(
  logits: Tensor,
  labels: ArrayLike<number> | Tensor | Tensor<'int32'>,
): Tensor {
  if (!(logits instanceof Tensor) || logits.shape.length !== 2) {
    throw new RangeError(
      `crossEntropyLoss: logits must be a [batch, classes] tensor, got ${logits instanceof Tensor ? formatShape(logits.shape) : describe(logits)}`,
    );
  }
  const [batch, classes] = logits.shape as [number, number];
  // The one-hot rows are made on the logits' backend, whichever backend is current.
  const targets =
    labels instanceof Tensor && labels.dtype === 'float32'
      ? (labels as Tensor)
      : oneHot(labels as Tensor<'int32'> | ArrayLike<number>, classes, logits.backend);
  if (!sameShape(targets.shape, logits.shape)) {
    throw new RangeError(
      `crossEntropyLoss: labels must give ${batch} rows of ${classes} classes, got ${formatShape(targets.shape)}`,
    );
  }
  const loss = tidy(() => mul(sum(mul(targets, logSoftmax(logits))), -1 / batch));
  if (targets !== labels) targets.dispose();
  return loss;
}

/** Options of {@link KLDivergenceLoss}. */
export interface KLDivergenceLossOptions {
  /** Multiplies the loss. Default 1. */
  weight?: number;
  /** `mc` (illia's one-sample estimate from the last forward pass) or `closed`. Default `mc`. */
  method?: KlMethod;
}

/**
 * The KL term of a model: the KL costs of all its Bayesian modules, summed, divided by their total
 * parameter count, times `weight`. (illia divides by the last module's count only.)
 */
export class KLDivergenceLoss {
  readonly weight: number;
  readonly method: KlMethod;

  constructor(options: KLDivergenceLossOptions = {}) {
    checkOptions('KLDivergenceLoss', options);
    this.weight = checkFinite('KLDivergenceLoss', 'weight', options.weight ?? 1);
    this.method = options.method ?? 'mc';
    if (this.method !== 'mc' && this.method !== 'closed') {
      throw new RangeError(
        `KLDivergenceLoss: method must be 'mc' or 'closed', got ${describe(this.method)}`,
      );
    }
  }

  call(model: Module<AnyTensor>): Tensor {
    const bayesian = leafModules(model).filter(isBayesian);
    if (bayesian.length === 0)
      throw new Error('KLDivergenceLoss: the model has no Bayesian modules');
    return tidy(() => {
      let total: Tensor | null = null;
      let numParams = 0;
      for (const module of bayesian) {
        const cost = module.klCost(this.method);
        total = total ? add(total, cost.kl) : cost.kl;
        numParams += cost.numParams;
      }
      return mul(total as Tensor, this.weight / numParams);
    });
  }
}

/** Options of {@link ELBOLoss}. */
export interface ELBOLossOptions {
  /** Forward passes (weight samples) averaged per step. Default 1. */
  numSamples?: number;
  /** Weight of the KL term. Default 1e-3. */
  klWeight?: number;
  /** How the KL term is computed. Default `mc`. */
  klMethod?: KlMethod;
}

/**
 * The negative ELBO: `mean over samples of [lossFn(model(x), y) + klWeight · KL/numParams]`,
 * running the model again for each sample (illia reuses one forward pass, so its `num_samples`
 * changes nothing). `Target` is what `lossFn` takes as its target (a float32 tensor by default;
 * `crossEntropyLoss` also takes int32 labels).
 */
export class ELBOLoss<Target = Tensor> {
  readonly numSamples: number;
  readonly kl: KLDivergenceLoss;
  readonly #lossFn: (prediction: Tensor, target: Target) => Tensor;

  constructor(
    lossFn: (prediction: Tensor, target: Target) => Tensor,
    options: ELBOLossOptions = {},
  ) {
    checkOptions('ELBOLoss', options);
    if (typeof lossFn !== 'function')
      throw new TypeError(`ELBOLoss: lossFn must be a function, got ${describe(lossFn)}`);
    const { numSamples = 1, klWeight = 1e-3, klMethod = 'mc' } = options;
    if (!(Number.isInteger(numSamples) && numSamples > 0)) {
      throw new RangeError(
        `ELBOLoss: numSamples must be a positive integer, got ${describe(numSamples)}`,
      );
    }
    this.#lossFn = lossFn;
    this.numSamples = numSamples;
    this.kl = new KLDivergenceLoss({ weight: klWeight, method: klMethod });
  }

  /** The loss of `model` on input `x` (float32, or int32 tokens for a token model) and `target`. */
  call<In extends AnyTensor>(model: Module<In>, x: In, target: Target): Tensor {
    return tidy(() => {
      let total: Tensor | null = null;
      for (let s = 0; s < this.numSamples; s++) {
        const prediction = model.forward(x);
        const term = add(this.#lossFn(prediction, target), this.kl.call(model));
        total = total ? add(total, term) : term;
      }
      return mul(total as Tensor, 1 / this.numSamples);
    });
  }
}
