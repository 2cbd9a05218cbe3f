import type { Backend } from './backend.js';
import { getBackend } from './engine.js';
import {
  add,
  commonBackend,
  gaussianLogRatio,
  gaussianSample,
  handleOf,
  logSoftplus,
  mul,
  randomNormalOn,
  softplus,
  square,
  sub,
  sum,
} from './ops/index.js';
import type { Generator } from './random.js';
import { toGenerator } from './random.js';
import { formatShape, sameShape } from './shape.js';
import { type Tensor, tidy, Variable } from './tensor.js';
import { checkFiniteFloat32, checkOptions, checkPositiveFloat32, checkShape } from './validate.js';

/** Options of {@link GaussianDistribution}; the defaults are illia's. */
export interface GaussianDistributionOptions {
  /** Mean of the prior `N(muPrior, stdPrior²)`. Default 0. */
  muPrior?: number;
  /** Standard deviation of the prior, > 0. Default 0.1. */
  stdPrior?: number;
  /** `mu` starts as `muInit + 0.1·N(0,1)`. Default 0. */
  muInit?: number;
  /** `rho` starts as `rhoInit + 0.1·N(0,1)`, so sigma ≈ softplus(rhoInit). Default −7. */
  rhoInit?: number;
  /** A seed or `rng(seed)` for initialisation and sampling. Default: the global generator. */
  rng?: Generator | number;
}

/** Standard deviation of the initial noise on `mu` and `rho` (illia's PyTorch and current JAX code). */
const INIT_STD = 0.1;

/**
 * A learnable Gaussian `N(mu, sigma²)`, `sigma = softplus(rho)`, with a Gaussian prior: illia's
 * `GaussianDistribution`. Sampling is reparameterised (`mu + sigma ⊙ eps`), and {@link logProb} is
 * illia's one-sample estimate of the KL divergence from the prior.
 *
 * @example
 * const dist = new GaussianDistribution([3, 4], { rng: 42 });
 * const w = dist.sample(); // a Tensor of shape [3, 4]
 * const kl = await dist.logProb(w).item();
 */
export class GaussianDistribution {
  /** The shape of `mu`, `rho` and every sample. */
  readonly shape: readonly number[];
  /** Mean of the prior. */
  readonly muPrior: number;
  /** Standard deviation of the prior. */
  readonly stdPrior: number;
  /** The backend that holds the parameters and computes everything. */
  readonly backend: Backend;
  readonly #generator: Generator;
  readonly #mu: Variable;
  readonly #rho: Variable;

  constructor(shape: readonly number[], options: GaussianDistributionOptions = {}) {
    checkOptions('GaussianDistribution', options);
    const where = 'GaussianDistribution';
    this.shape = checkShape(where, 'shape', shape);
    const { muPrior = 0, stdPrior = 0.1, muInit = 0, rhoInit = -7 } = options;
    this.muPrior = checkFiniteFloat32(where, 'muPrior', muPrior);
    this.stdPrior = checkPositiveFloat32(where, 'stdPrior', stdPrior);
    checkFiniteFloat32(where, 'muInit', muInit);
    checkFiniteFloat32(where, 'rhoInit', rhoInit);
    this.#generator = toGenerator(where, 'rng', options.rng);
    this.backend = getBackend();
    this.#mu = this.#initialParameter(muInit);
    this.#rho = this.#initialParameter(rhoInit);
  }

  /** `init + 0.1·N(0,1)`, a variable (kept out of any enclosing tidy scope). */
  #initialParameter(init: number): Variable {
    const backend = this.backend;
    return Variable.from(
      tidy(() => {
        const eps = randomNormalOn(backend, this.shape, this.#generator.nextKey());
        return add(mul(eps, INIT_STD), init);
      }),
    );
  }

  /** The mean parameter. */
  get mu(): Variable {
    return this.#mu;
  }

  /** The parameter that gives the standard deviation: `sigma = softplus(rho)`. */
  get rho(): Variable {
    return this.#rho;
  }

  /** Number of elements of `mu` (illia's `num_params`). */
  get numParams(): number {
    return this.#mu.size;
  }

  /** `[mu, rho]`. */
  parameters(): [Variable, Variable] {
    return [this.#mu, this.#rho];
  }

  /**
   * Replaces the values of `mu` and/or `rho` (parameters loaded from elsewhere); the variables
   * keep their identity. The given tensors are consumed (their memory moves into the variables),
   * except variables (another distribution's parameters), whose values are copied.
   * Each must be a live float32 tensor of the distribution's shape and backend.
   */
  setParameters(values: { mu?: Tensor; rho?: Tensor }): void {
    const where = 'GaussianDistribution.setParameters';
    const checked: { mu?: Tensor; rho?: Tensor } = {};
    for (const arg of ['mu', 'rho'] as const) {
      const value = values?.[arg];
      if (value === undefined) continue;
      handleOf(where, arg, value);
      commonBackend(where, { distribution: this.#mu, [arg]: value });
      if (!sameShape(value.shape, this.shape)) {
        throw new RangeError(
          `${where}: ${arg} must have the distribution's shape ${formatShape(this.shape)}, got ${formatShape(value.shape)}`,
        );
      }
      checked[arg] = value;
    }
    const own = (t: Tensor) => (t instanceof Variable ? add(t, 0) : t);
    if (checked.mu) this.#mu.assign(own(checked.mu));
    if (checked.rho) this.#rho.assign(own(checked.rho));
  }

  /** A new tensor `softplus(rho) = log(1 + exp(rho))`, finite and positive for every finite rho. */
  sigma(): Tensor {
    handleOf('GaussianDistribution.sigma', 'rho', this.#rho);
    return softplus(this.#rho);
  }

  /**
   * The closed-form `KL(N(mu, sigma²) ‖ N(muPrior, stdPrior²))`, summed:
   * `Σ log(stdPrior/sigma) + (sigma² + (mu − muPrior)²) / (2 stdPrior²) − 1/2`, computed in
   * scale-free terms (`log sigma` from rho directly, `(sigma/stdPrior)²`, `((mu − muPrior)/stdPrior)²`)
   * so it is finite wherever the true value is, for every finite rho. Differentiable.
   */
  klDivergence(): Tensor {
    const where = 'GaussianDistribution.klDivergence';
    handleOf(where, 'mu', this.#mu);
    handleOf(where, 'rho', this.#rho);
    const mu = this.#mu;
    const rho = this.#rho;
    const { muPrior, stdPrior } = this;
    return tidy(() => {
      const logRatio = sub(Math.log(stdPrior), logSoftplus(rho));
      const spread = add(
        square(mul(softplus(rho), 1 / stdPrior)),
        square(mul(sub(mu, muPrior), 1 / stdPrior)),
      );
      return sum(sub(add(logRatio, mul(spread, 0.5)), 0.5));
    });
  }

  /**
   * A fresh reparameterised draw `mu + sigma ⊙ eps`, `eps ~ N(0, I)`, from `generator` (a seed or
   * `rng(seed)`; default the distribution's own generator).
   */
  sample(generator?: Generator | number): Tensor {
    const where = 'GaussianDistribution.sample';
    handleOf(where, 'mu', this.#mu);
    handleOf(where, 'rho', this.#rho);
    const key =
      generator === undefined
        ? this.#generator.nextKey()
        : toGenerator(where, 'generator', generator).nextKey();
    return gaussianSample(this.#mu, this.#rho, key);
  }

  /** The same as {@link sample} (illia's `__call__`). */
  call(generator?: Generator | number): Tensor {
    return this.sample(generator);
  }

  /**
   * The scalar `Σ log N(x; mu, sigma) − Σ log N(x; muPrior, stdPrior)`: illia's one-sample estimate
   * of `KL(q ‖ prior)`. With no `x`, a fresh sample is drawn (and freed).
   */
  logProb(x?: Tensor): Tensor {
    const where = 'GaussianDistribution.logProb';
    handleOf(where, 'mu', this.#mu);
    handleOf(where, 'rho', this.#rho);
    if (x === undefined) {
      const draw = this.sample();
      try {
        return this.logProb(draw);
      } finally {
        draw.dispose();
      }
    }
    handleOf(where, 'x', x);
    commonBackend(where, { mu: this.#mu, x });
    if (!sameShape(x.shape, this.shape)) {
      throw new RangeError(
        `${where}: x must have the distribution's shape ${formatShape(this.shape)}, got ${formatShape(x.shape)}`,
      );
    }
    return gaussianLogRatio(x, this.#mu, this.#rho, { mu: this.muPrior, std: this.stdPrior });
  }

  /** Frees `mu` and `rho`; the distribution cannot be used afterwards. */
  dispose(): void {
    this.#mu.dispose();
    this.#rho.dispose();
  }
}
