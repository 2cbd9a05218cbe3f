import { add, logSoftmax, mean, mul, oneHot, square, sub, sum } from '../ops/index.js';
import { formatShape, sameShape } from '../shape.js';
import { Tensor, tidy } from '../tensor.js';
import { checkFinite, describe } from '../validate.js';
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
  return tidy(() => mean(square(sub(prediction, target))));
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
    this.weight = checkFinite('KLDivergenceLoss', 'weight', options.weight ?? 1);
    this.method = options.method ?? 'mc';
    if (this.method !== 'mc' && this.method !== 'closed') {
      throw new RangeError(
        `KLDivergenceLoss: method must be 'mc' or 'closed', got ${describe(this.method)}`,
      );
    }
  }

  call(model: Module): Tensor {
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
 * changes nothing).
 */
export class ELBOLoss {
  readonly numSamples: number;
  readonly kl: KLDivergenceLoss;
  readonly #lossFn: (prediction: Tensor, target: Tensor) => Tensor;

  constructor(
    lossFn: (prediction: Tensor, target: Tensor) => Tensor,
    options: ELBOLossOptions = {},
  ) {
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

  call(model: Module, x: Tensor, target: Tensor): Tensor {
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
