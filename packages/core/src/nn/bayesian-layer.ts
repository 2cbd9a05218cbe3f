/**
 * What the Bayesian layers share: named weight distributions, drawn once per forward pass and
 * owned by the layer until the next pass (so that `klCost('mc')` scores the weights that pass
 * used), freezing, the KL cost, parameters and disposal. `Linear` predates it and keeps its own.
 */

import { pauseRecording } from '../autodiff.js';
import type { GaussianDistribution } from '../gaussian.js';
import { add } from '../ops/index.js';
import { formatShape, sameShape } from '../shape.js';
import { type AnyTensor, keep, Tensor, tidy, type Variable } from '../tensor.js';
import { describe } from '../validate.js';
import type { BayesianModule, KlCost, KlMethod } from './module.js';

/** One draw of a layer's weights, by distribution name. */
export type Draw = Readonly<Record<string, Tensor>>;

/** A copy of `t` that no gradient flows through (the tape does not see it). */
export function stopGradient(t: Tensor): Tensor {
  return pauseRecording(() => add(t, 0));
}

/**
 * The base of the Bayesian layers (`Conv1d`, `Conv2d`, `Embedding`, `LSTM`), and of your own: a
 * subclass declares its distributions once (`declareWeights`) and calls `drawWeights()` once per
 * forward pass; freezing, `klCost`, `parameters` and `dispose` come with it.
 */
export abstract class BayesianLayer<In extends AnyTensor = Tensor> implements BayesianModule<In> {
  /** The layer's name in errors, such as `Conv2d`. */
  protected abstract get where(): string;
  #distributions: ReadonlyArray<readonly [string, GaussianDistribution]> = [];
  #children: readonly BayesianModule<AnyTensor>[] = [];
  #last: Record<string, Tensor> | null = null;
  /** Weights used while frozen; at the means they are the `mu` variables, not owned. */
  #frozen: { weights: Draw; owned: boolean } | null = null;

  abstract forward(x: In): Tensor;

  /**
   * Declares the layer's distributions, in the order they are drawn (the order fixes which draw
   * of a seeded generator each gets), and the Bayesian modules inside it (an LSTM's embedding).
   */
  protected declareWeights(
    distributions: ReadonlyArray<readonly [string, GaussianDistribution]>,
    children: readonly BayesianModule<AnyTensor>[] = [],
  ): void {
    this.#distributions = distributions;
    this.#children = children;
  }

  /**
   * The weights of this forward pass: the frozen ones, or a fresh draw of every distribution that
   * the layer keeps (out of any tidy scope) until its next pass.
   */
  protected drawWeights(): Draw {
    if (this.#frozen) return this.#frozen.weights;
    this.#releaseLast();
    const draw: Record<string, Tensor> = {};
    for (const [name, distribution] of this.#distributions) {
      draw[name] = keep(distribution.sample());
    }
    this.#last = draw;
    return draw;
  }

  #releaseLast(): void {
    if (this.#last) for (const t of Object.values(this.#last)) t.dispose();
    this.#last = null;
  }

  /**
   * The draw a frozen pass uses, else the last pass's (illia's weight buffers, for state dicts);
   * null before the first pass. The tensors belong to the layer: read them, do not dispose them.
   */
  protected heldDraw(): Draw | null {
    if (this.#frozen) return this.#frozen.weights;
    const last = this.#last;
    if (!last || Object.values(last).some((t) => t.isDisposed)) return null;
    return last;
  }

  /**
   * Makes `values` (a tensor of its distribution's shape for every name) the held draw, consuming
   * them: `klCost('mc')` scores them, `freeze()` keeps them, and a layer frozen at a sample uses
   * them from now on (one frozen at its means keeps using the means).
   */
  protected setHeldDraw(values: Readonly<Record<string, Tensor>>): void {
    const where = `${this.where}.setHeldSample`;
    for (const [name, d] of this.#distributions) {
      const t = values[name];
      if (!(t instanceof Tensor) || t.dtype !== 'float32' || t.isDisposed) {
        throw new TypeError(`${where}: ${name} must be a live float32 Tensor, got ${describe(t)}`);
      }
      if (!sameShape(t.shape, d.shape)) {
        throw new RangeError(
          `${where}: ${name} must have shape ${formatShape(d.shape)}, got ${formatShape(t.shape)}`,
        );
      }
    }
    const draw: Record<string, Tensor> = {};
    for (const [name] of this.#distributions) draw[name] = keep(values[name] as Tensor);
    if (this.#frozen?.owned) {
      for (const t of Object.values(this.#frozen.weights)) t.dispose();
      this.#frozen = { weights: draw, owned: true };
      return;
    }
    this.#releaseLast();
    this.#last = draw;
  }

  /** Every distribution's parameters (the inner modules' first), `[mu, rho]` each. */
  parameters(): Variable[] {
    return [
      ...this.#children.flatMap((c) => c.parameters()),
      ...this.#distributions.flatMap(([, d]) => d.parameters()),
    ];
  }

  /** Number of weights of its own distributions (illia's `num_params`; `klCost` adds inner modules'). */
  get numParams(): number {
    return this.#distributions.reduce((n, [, d]) => n + d.numParams, 0);
  }

  /**
   * The KL of its distributions (and its inner modules') from their priors, and how many weights
   * they have: `mc` scores the weights of the last forward pass (illia's `kl_cost`), `closed` is
   * exact.
   */
  klCost(method: KlMethod = 'mc'): KlCost {
    if (method !== 'mc' && method !== 'closed') {
      throw new RangeError(
        `${this.where}.klCost: method must be 'mc' or 'closed', got ${describe(method)}`,
      );
    }
    let weights: Draw | null = null;
    if (method === 'mc') {
      weights = this.#frozen?.weights ?? this.#last;
      if (!weights || Object.values(weights).some((t) => t.isDisposed)) {
        throw new Error(
          `${this.where}.klCost: the 'mc' estimate scores the weights of the last forward pass; call forward() first, in the same scope`,
        );
      }
    }
    const draw = weights;
    let numParams = this.numParams;
    const kl = tidy(() => {
      let total: Tensor | null = null;
      for (const child of this.#children) {
        const cost = child.klCost(method);
        numParams += cost.numParams;
        total = total ? add(total, cost.kl) : cost.kl;
      }
      for (const [name, d] of this.#distributions) {
        const term = draw ? d.logProb(draw[name] as Tensor) : d.klDivergence();
        total = total ? add(total, term) : term;
      }
      return total as Tensor;
    });
    return { kl, numParams };
  }

  /**
   * Stops sampling: keeps the last forward pass's weights (illia; drawn now if there was none) or,
   * with `'mean'`, uses the means. Inner modules are frozen the same way.
   */
  freeze(at: 'sample' | 'mean' = 'sample'): void {
    if (at !== 'sample' && at !== 'mean') {
      throw new RangeError(
        `${this.where}.freeze: at must be 'sample' or 'mean', got ${describe(at)}`,
      );
    }
    this.unfreeze();
    for (const child of this.#children) child.freeze(at);
    const weights: Record<string, Tensor> = {};
    if (at === 'mean') {
      for (const [name, d] of this.#distributions) weights[name] = d.mu;
      this.#frozen = { weights, owned: false };
      return;
    }
    for (const [name, d] of this.#distributions) {
      const last = this.#last?.[name];
      // Copies that the layer owns, whatever scope made the samples.
      weights[name] = keep(last && !last.isDisposed ? add(last, 0) : d.sample());
    }
    this.#frozen = { weights, owned: true };
  }

  /** Samples fresh weights at every forward pass again (inner modules too). */
  unfreeze(): void {
    const frozen = this.#frozen;
    this.#frozen = null;
    if (frozen?.owned) for (const t of Object.values(frozen.weights)) t.dispose();
    for (const child of this.#children) child.unfreeze();
  }

  /** Whether it is frozen. */
  get frozen(): boolean {
    return this.#frozen !== null;
  }

  /** Frees the distributions, the last draw and any frozen weights (inner modules' too). */
  dispose(): void {
    this.unfreeze();
    this.#releaseLast();
    for (const [, d] of this.#distributions) d.dispose();
    for (const child of this.#children) child.dispose();
  }
}
