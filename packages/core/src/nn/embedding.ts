import { pauseRecording } from '../autodiff.js';
import { GaussianDistribution, type GaussianDistributionOptions } from '../gaussian.js';
import type { StateLayout } from '../io/state-dict.js';
import { filledOn } from '../ops/define.js';
import {
  abs,
  add,
  div,
  exp,
  gather,
  greater,
  log,
  mul,
  reshape,
  scatterAdd,
  sqrt,
  square,
  sub,
  sum,
} from '../ops/index.js';
import { type Generator, toGenerator } from '../random.js';
import { Tensor, tidy } from '../tensor.js';
import { checkOptions, describe } from '../validate.js';
import { BayesianLayer, stopGradient } from './bayesian-layer.js';

/** Options of {@link Embedding}; the defaults are PyTorch's and illia's. */
export interface EmbeddingOptions {
  /**
   * The row whose weights get no gradient (negative counts from the end); its output is still
   * the row's weights, as PyTorch's `F.embedding` (illia's TF and JAX layers zero it instead).
   */
  paddingIdx?: number;
  /** Looked-up rows whose `normType`-norm exceeds it are rescaled to it. Default: none. */
  maxNorm?: number;
  /** The p of the p-norm that `maxNorm` bounds. Default 2. */
  normType?: number;
  /** Divides each row's gradient by how often its index occurs in the batch. Default false. */
  scaleGradByFreq?: boolean;
  /** Prior and initialisation of the `[numEmbeddings, embeddingsDim]` weights. */
  weightsDistribution?: Omit<GaussianDistributionOptions, 'rng'>;
  /** A seed or `rng(seed)` for initialisation and sampling. Default: the global generator. */
  rng?: Generator | number;
}

function positiveInteger(where: string, arg: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) {
    throw new (typeof value === 'number' ? RangeError : TypeError)(
      `${where}: ${arg} must be a positive integer, got ${describe(value)}`,
    );
  }
  return value;
}

/** Checks int32 indices and their known range (free: no read) against `[0, rows)`. */
export function checkIndices(
  where: string,
  arg: string,
  x: unknown,
  rows: number,
): Tensor<'int32'> {
  if (!(x instanceof Tensor)) {
    throw new TypeError(`${where}: ${arg} must be an int32 Tensor of indices, got ${describe(x)}`);
  }
  if (x.dtype !== 'int32') {
    throw new TypeError(
      `${where}: ${arg} must be an int32 tensor (integer indices), got ${x.dtype}; make it with tensor(values, shape, 'int32')`,
    );
  }
  const range = x.valueRange;
  if (range !== undefined && (range[0] < 0 || range[1] >= rows)) {
    throw new RangeError(
      `${where}: ${arg} must be in [0, ${rows}), got values in [${range[0]}, ${range[1]}]`,
    );
  }
  return x as Tensor<'int32'>;
}

/**
 * A Bayesian embedding (illia's `Embedding`, PyTorch's `F.embedding`): int32 indices of any shape
 * pick rows of `[numEmbeddings, embeddingsDim]` weights drawn from a learnable Gaussian once per
 * forward pass; the output is `[...indices.shape, embeddingsDim]`.
 */
export class Embedding extends BayesianLayer<Tensor<'int32'>> {
  protected get where(): string {
    return 'Embedding';
  }
  readonly numEmbeddings: number;
  readonly embeddingsDim: number;
  /** The padding row, normalised to `[0, numEmbeddings)`; null when there is none. */
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  readonly weights: GaussianDistribution;

  constructor(numEmbeddings: number, embeddingsDim: number, options: EmbeddingOptions = {}) {
    checkOptions('Embedding', options);
    super();
    const where = 'Embedding';
    this.numEmbeddings = positiveInteger(where, 'numEmbeddings', numEmbeddings);
    this.embeddingsDim = positiveInteger(where, 'embeddingsDim', embeddingsDim);
    const { paddingIdx, maxNorm, normType = 2, scaleGradByFreq = false } = options;
    if (paddingIdx === undefined || paddingIdx === null) {
      this.paddingIdx = null;
    } else {
      if (
        !(
          typeof paddingIdx === 'number' &&
          Number.isSafeInteger(paddingIdx) &&
          paddingIdx >= -numEmbeddings &&
          paddingIdx < numEmbeddings
        )
      ) {
        throw new RangeError(
          `${where}: paddingIdx must be an integer in [${-numEmbeddings}, ${numEmbeddings}), got ${describe(paddingIdx)}`,
        );
      }
      this.paddingIdx = paddingIdx < 0 ? numEmbeddings + paddingIdx : paddingIdx;
    }
    if (maxNorm === undefined || maxNorm === null) {
      this.maxNorm = null;
    } else {
      if (!(typeof maxNorm === 'number' && Number.isFinite(maxNorm) && maxNorm > 0)) {
        throw new RangeError(
          `${where}: maxNorm must be a finite number > 0, got ${describe(maxNorm)}`,
        );
      }
      this.maxNorm = maxNorm;
    }
    if (!(typeof normType === 'number' && Number.isFinite(normType) && normType > 0)) {
      throw new RangeError(
        `${where}: normType must be a finite number > 0, got ${describe(normType)}`,
      );
    }
    this.normType = normType;
    if (typeof scaleGradByFreq !== 'boolean') {
      throw new TypeError(
        `${where}: scaleGradByFreq must be a boolean, got ${describe(scaleGradByFreq)}`,
      );
    }
    this.scaleGradByFreq = scaleGradByFreq;
    this.weights = new GaussianDistribution([numEmbeddings, embeddingsDim], {
      ...options.weightsDistribution,
      rng: toGenerator(where, 'rng', options.rng),
    });
    this.declareWeights([['weights', this.weights]]);
  }

  /**
   * How state dicts save it, with illia's names: the `weights` buffer (the held sample, or the
   * means before the first pass), then `weights_distribution`.
   */
  stateLayout(): StateLayout {
    return {
      type: 'Embedding',
      config: {
        numEmbeddings: this.numEmbeddings,
        embeddingsDim: this.embeddingsDim,
        paddingIdx: this.paddingIdx,
        maxNorm: this.maxNorm,
        normType: this.normType,
        scaleGradByFreq: this.scaleGradByFreq,
        weightsDistribution: { muPrior: this.weights.muPrior, stdPrior: this.weights.stdPrior },
      },
      buffers: {
        shapes: { weights: this.weights.shape },
        read: () => ({ weights: (this.heldDraw()?.weights as Tensor) ?? this.weights.mu }),
        write: (values) => this.setHeldDraw(values),
      },
      children: [['weights_distribution', this.weights]],
    };
  }

  /** int32 `indices` of any shape → `[...indices.shape, embeddingsDim]`. */
  forward(indices: Tensor<'int32'>): Tensor {
    checkIndices('Embedding.forward', 'indices', indices, this.numEmbeddings);
    const { weights } = this.drawWeights();
    return tidy(() => this.#lookUp(weights as Tensor, indices));
  }

  #lookUp(table: Tensor, indices: Tensor<'int32'>): Tensor {
    const rows = gather(table, indices);
    if (this.paddingIdx === null && this.maxNorm === null && !this.scaleGradByFreq) return rows;
    // The value is `rows` (rescaled where maxNorm says); the gradient each position passes to its
    // row is scaled by `factor` (0 for the padding row, 1/count with scaleGradByFreq), and does
    // not see the rescaling, as PyTorch's in-place renormalisation under no_grad.
    const constant = stopGradient(rows);
    const value = this.maxNorm === null ? constant : this.#renormed(rows);
    const factor = this.#gradientFactor(indices);
    const passing = sub(rows, constant);
    return add(value, factor ? mul(passing, factor) : passing);
  }

  /** `rows` with those whose norm exceeds maxNorm scaled by `maxNorm / (norm + 1e-7)` (PyTorch). */
  #renormed(rows: Tensor): Tensor {
    const maxNorm = this.maxNorm as number;
    const p = this.normType;
    return pauseRecording(() =>
      tidy(() => {
        const norm =
          p === 2
            ? sqrt(sum(square(rows), -1))
            : p === 1
              ? sum(abs(rows), -1)
              : exp(mul(log(sum(exp(mul(log(abs(rows)), p)), -1)), 1 / p));
        const n = reshape(norm, [...norm.shape, 1]);
        const scale = add(mul(greater(n, maxNorm), sub(div(maxNorm, add(n, 1e-7)), 1)), 1);
        return mul(rows, scale);
      }),
    );
  }

  /** Per position `[...indices.shape, 1]`: 0 at the padding row, else 1 or 1/count. */
  #gradientFactor(indices: Tensor<'int32'>): Tensor | null {
    const n = this.numEmbeddings;
    // Made on the indices' backend, whichever backend is current.
    const backend = indices.backend;
    let factor: Tensor | null = null;
    if (this.paddingIdx !== null) {
      const mask = new Float32Array(n).fill(1);
      mask[this.paddingIdx] = 0;
      factor = gather(new Tensor(backend.makeTensor(mask, [n, 1]), backend), indices);
    }
    if (this.scaleGradByFreq) {
      const ones = filledOn(backend, [...indices.shape, 1], 1);
      const counts = gather(scatterAdd(ones, indices, n), indices);
      factor = factor ? div(factor, counts) : div(1, counts);
    }
    return factor;
  }
}
