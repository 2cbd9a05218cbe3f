import { GaussianDistribution, type GaussianDistributionOptions } from '../gaussian.js';
import { add, matMul } from '../ops/index.js';
import { type Generator, toGenerator } from '../random.js';
import { formatShape } from '../shape.js';
import { keep, Tensor, tidy, type Variable } from '../tensor.js';
import { checkOptions, describe } from '../validate.js';
import type { BayesianModule, KlCost, KlMethod } from './module.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Prior and initialisation of the weights (a `[outputSize, inputSize]` Gaussian). */
  weightsDistribution?: Omit<GaussianDistributionOptions, 'rng'>;
  /** Prior and initialisation of the bias (an `[outputSize]` Gaussian). */
  biasDistribution?: Omit<GaussianDistributionOptions, 'rng'>;
  /** Whether there is a bias. Default true. */
  useBias?: boolean;
  /** A seed or `rng(seed)` for initialisation and sampling. Default: the global generator. */
  rng?: Generator | number;
}

function checkSize(arg: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) {
    throw new (typeof value === 'number' ? RangeError : TypeError)(
      `Linear: ${arg} must be a positive integer, got ${describe(value)}`,
    );
  }
  return value;
}

/**
 * A Bayesian fully connected layer (illia's `Linear`): `y = x · Wᵀ + b` with `W` and `b` drawn
 * from learnable Gaussians at every forward pass.
 */
export class Linear implements BayesianModule {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly weights: GaussianDistribution;
  readonly bias: GaussianDistribution | null;
  #lastWeights: Tensor | null = null;
  #lastBias: Tensor | null = null;
  #frozen: { weights: Tensor; bias: Tensor | null } | null = null;

  constructor(inputSize: number, outputSize: number, options: LinearOptions = {}) {
    checkOptions('Linear', options);
    this.inputSize = checkSize('inputSize', inputSize);
    this.outputSize = checkSize('outputSize', outputSize);
    const { useBias = true } = options;
    // One generator for weights and bias, so that a seed gives one stream, not two that another
    // layer's seed could repeat.
    const rng = toGenerator('Linear', 'rng', options.rng);
    this.weights = new GaussianDistribution([outputSize, inputSize], {
      ...options.weightsDistribution,
      rng,
    });
    this.bias = useBias
      ? new GaussianDistribution([outputSize], { ...options.biasDistribution, rng })
      : null;
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor))
      throw new TypeError(`Linear.forward: x must be a Tensor, got ${describe(x)}`);
    if (x.shape.length !== 2 || x.shape[1] !== this.inputSize) {
      throw new RangeError(
        `Linear.forward: x must have shape [batch, ${this.inputSize}], got ${formatShape(x.shape)}`,
      );
    }
    let w: Tensor;
    let b: Tensor | null;
    if (this.#frozen) {
      w = this.#frozen.weights;
      b = this.#frozen.bias;
    } else {
      // The layer owns its last sample (klCost('mc') scores it) until the next forward pass.
      this.#releaseLastSample();
      w = keep(this.weights.sample());
      b = this.bias ? keep(this.bias.sample()) : null;
      this.#lastWeights = w;
      this.#lastBias = b;
    }
    return tidy(() => {
      const product = matMul(x, w, { transposeB: true });
      return b ? add(product, b) : product;
    });
  }

  #releaseLastSample(): void {
    this.#lastWeights?.dispose();
    this.#lastBias?.dispose();
    this.#lastWeights = null;
    this.#lastBias = null;
  }

  parameters(): Variable[] {
    return [...this.weights.parameters(), ...(this.bias?.parameters() ?? [])];
  }

  klCost(method: KlMethod = 'mc'): KlCost {
    const numParams = this.weights.numParams + (this.bias?.numParams ?? 0);
    if (method === 'closed') {
      const bias = this.bias;
      const kl = tidy(() => {
        const kw = this.weights.klDivergence();
        return bias ? add(kw, bias.klDivergence()) : kw;
      });
      return { kl, numParams };
    }
    if (method !== 'mc') {
      throw new RangeError(
        `Linear.klCost: method must be 'mc' or 'closed', got ${describe(method)}`,
      );
    }
    const w = this.#frozen?.weights ?? this.#lastWeights;
    const b = this.#frozen ? this.#frozen.bias : this.#lastBias;
    if (!w || w.isDisposed || (this.bias && (!b || b.isDisposed))) {
      throw new Error(
        "Linear.klCost: the 'mc' estimate scores the weights of the last forward pass; call forward() first, in the same scope",
      );
    }
    const bias = this.bias;
    const kl = tidy(() => {
      const kw = this.weights.logProb(w);
      return bias && b ? add(kw, bias.logProb(b)) : kw;
    });
    return { kl, numParams };
  }

  freeze(at: 'sample' | 'mean' = 'sample'): void {
    this.unfreeze();
    if (at === 'mean') {
      this.#frozen = { weights: keep(this.weights.mu), bias: this.bias?.mu ?? null };
      return;
    }
    if (at !== 'sample')
      throw new RangeError(`Linear.freeze: at must be 'sample' or 'mean', got ${describe(at)}`);
    const w =
      this.#lastWeights && !this.#lastWeights.isDisposed
        ? this.#lastWeights
        : this.weights.sample();
    const b = this.bias
      ? this.#lastBias && !this.#lastBias.isDisposed
        ? this.#lastBias
        : this.bias.sample()
      : null;
    // Copies that this layer owns, whatever scope made the samples; samples drawn here go.
    this.#frozen = { weights: keep(add(w, 0)), bias: b ? keep(add(b, 0)) : null };
    if (w !== this.#lastWeights) w.dispose();
    if (b !== null && b !== this.#lastBias) b.dispose();
  }

  unfreeze(): void {
    const frozen = this.#frozen;
    this.#frozen = null;
    if (frozen && frozen.weights !== this.weights.mu) {
      frozen.weights.dispose();
      frozen.bias?.dispose();
    }
  }

  /** Whether it is frozen. */
  get frozen(): boolean {
    return this.#frozen !== null;
  }

  /**
   * The weights and bias a frozen forward pass uses, else those of the last forward pass (illia's
   * `weights` and `bias` buffers, for state dicts); null before the first forward pass. The
   * tensors belong to the layer: read them, do not dispose them.
   */
  heldSample(): { weights: Tensor; bias: Tensor | null } | null {
    if (this.#frozen) return { weights: this.#frozen.weights, bias: this.#frozen.bias };
    const w = this.#lastWeights;
    if (!w || w.isDisposed) return null;
    const b = this.#lastBias;
    if (this.bias && (!b || b.isDisposed)) return null;
    return { weights: w, bias: b };
  }

  /**
   * Makes `weights` and `bias` the layer's held sample (illia's buffers, loaded from a state
   * dict), consuming them: `klCost('mc')` scores them, `freeze()` keeps them, and a layer frozen
   * at a sample uses them from now on (one frozen at its means keeps using the means).
   */
  setHeldSample(weights: Tensor, bias: Tensor | null): void {
    const where = 'Linear.setHeldSample';
    const check = (arg: string, t: Tensor | null, shape: readonly number[]) => {
      if (!(t instanceof Tensor) || t.dtype !== 'float32' || t.isDisposed) {
        throw new TypeError(`${where}: ${arg} must be a live float32 Tensor, got ${describe(t)}`);
      }
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new RangeError(
          `${where}: ${arg} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`,
        );
      }
    };
    check('weights', weights, this.weights.shape);
    if (this.bias) check('bias', bias, this.bias.shape);
    else if (bias !== null) throw new TypeError(`${where}: bias must be null: the layer has none`);
    keep(weights);
    if (bias) keep(bias);
    if (this.#frozen && this.#frozen.weights !== this.weights.mu) {
      this.#frozen.weights.dispose();
      this.#frozen.bias?.dispose();
      this.#frozen = { weights, bias };
      return;
    }
    this.#releaseLastSample();
    this.#lastWeights = weights;
    this.#lastBias = bias;
  }

  dispose(): void {
    this.unfreeze();
    this.#releaseLastSample();
    this.weights.dispose();
    this.bias?.dispose();
  }
}
