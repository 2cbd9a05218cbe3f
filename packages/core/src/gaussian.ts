import { recordOp } from './autodiff.js';
import type { Backend, BackendTensor, GaussianPrior, RandomKey } from './backend.js';
import { getBackend } from './engine.js';
import { fusedKernelsEnabled } from './flags.js';
import {
  add,
  commonBackend,
  div,
  handleOf,
  log,
  mul,
  neg,
  sigmoid,
  softplus,
  square,
  sub,
  sum,
} from './ops.js';
import type { Generator } from './random.js';
import { toGenerator } from './random.js';
import { formatShape, sameShape } from './shape.js';
import { Tensor, tidy, Variable } from './tensor.js';
import { checkFinite, checkPositive, checkShape } from './validate.js';

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
    const where = 'GaussianDistribution';
    this.shape = checkShape(where, 'shape', shape);
    const { muPrior = 0, stdPrior = 0.1, muInit = 0, rhoInit = -7 } = options;
    this.muPrior = checkFinite(where, 'muPrior', muPrior);
    this.stdPrior = checkPositive(where, 'stdPrior', stdPrior);
    checkFinite(where, 'muInit', muInit);
    checkFinite(where, 'rhoInit', rhoInit);
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
        const eps = new Tensor(
          backend.randomNormal(this.shape, this.#generator.nextKey()),
          backend,
        );
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
   * keep their identity. The given tensors are consumed (their memory moves into the variables).
   * Each must be a live tensor of the distribution's shape and backend.
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
    if (checked.mu) this.#mu.assign(checked.mu);
    if (checked.rho) this.#rho.assign(checked.rho);
  }

  /** A new tensor `softplus(rho) = log(1 + exp(rho))`, finite and positive for every finite rho. */
  sigma(): Tensor {
    handleOf('GaussianDistribution.sigma', 'rho', this.#rho);
    return softplus(this.#rho);
  }

  /**
   * The closed-form `KL(N(mu, sigma²) ‖ N(muPrior, stdPrior²))`, summed:
   * `Σ log(stdPrior/sigma) + (sigma² + (mu − muPrior)²) / (2 stdPrior²) − 1/2`. Differentiable.
   */
  klDivergence(): Tensor {
    const where = 'GaussianDistribution.klDivergence';
    handleOf(where, 'mu', this.#mu);
    handleOf(where, 'rho', this.#rho);
    const mu = this.#mu;
    const rho = this.#rho;
    const { muPrior, stdPrior } = this;
    return tidy(() => {
      const sigma = softplus(rho);
      const logRatio = sub(Math.log(stdPrior), log(sigma));
      const spread = mul(add(square(sigma), square(sub(mu, muPrior))), 1 / (2 * stdPrior ** 2));
      return sum(sub(add(logRatio, spread), 0.5));
    });
  }

  /**
   * A fresh reparameterised draw `mu + sigma ⊙ eps`, `eps ~ N(0, I)`, from `generator` (a seed or
   * `rng(seed)`; default the distribution's own generator).
   */
  sample(generator?: Generator | number): Tensor {
    const where = 'GaussianDistribution.sample';
    const mu = handleOf(where, 'mu', this.#mu);
    const rho = handleOf(where, 'rho', this.#rho);
    const key =
      generator === undefined
        ? this.#generator.nextKey()
        : toGenerator(where, 'generator', generator).nextKey();
    const backend = this.backend;
    const out = new Tensor(gaussianSample(backend, mu, rho, key), backend);
    // d/dmu = dy; d/drho = dy · eps · sigmoid(rho), with eps drawn again from the same key.
    recordOp([this.#mu, this.#rho], out, (dy) => {
      const eps = new Tensor(backend.randomNormal(this.shape, key), backend);
      return [dy, mul(mul(dy, eps), sigmoid(this.#rho))];
    });
    return out;
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
    const mu = handleOf(where, 'mu', this.#mu);
    const rho = handleOf(where, 'rho', this.#rho);
    if (x === undefined) {
      const draw = this.sample();
      try {
        return this.logProb(draw);
      } finally {
        draw.dispose();
      }
    }
    const hx = handleOf(where, 'x', x);
    commonBackend(where, { mu: this.#mu, x });
    if (!sameShape(x.shape, this.shape)) {
      throw new RangeError(
        `${where}: x must have the distribution's shape ${formatShape(this.shape)}, got ${formatShape(x.shape)}`,
      );
    }
    const prior = { mu: this.muPrior, std: this.stdPrior };
    const out = new Tensor(gaussianLogRatio(this.backend, hx, mu, rho, prior), this.backend);
    recordOp([x, this.#mu, this.#rho], out, (dy) =>
      logRatioGradients(x, this.#mu, this.#rho, prior, dy),
    );
    return out;
  }

  /** Frees `mu` and `rho`; the distribution cannot be used afterwards. */
  dispose(): void {
    this.#mu.dispose();
    this.#rho.dispose();
  }
}

/**
 * Gradients of the log-ratio sum with respect to x, mu and rho, with z = (x − mu)/σ:
 * `∂/∂x = −z/σ + (x − muPrior)/std²`, `∂/∂mu = z/σ`, `∂/∂rho = (z² − 1)/σ · sigmoid(rho)`.
 */
function logRatioGradients(
  x: Tensor,
  mu: Tensor,
  rho: Tensor,
  prior: GaussianPrior,
  dy: Tensor,
): Tensor[] {
  const sigma = softplus(rho);
  const z = div(sub(x, mu), sigma);
  const zOverSigma = div(z, sigma);
  const dx = add(neg(zOverSigma), mul(sub(x, prior.mu), 1 / prior.std ** 2));
  const dRho = mul(div(sub(square(z), 1), sigma), sigmoid(rho));
  return [mul(dy, dx), mul(dy, zOverSigma), mul(dy, dRho)];
}

/** `mu + softplus(rho) ⊙ N(0,1)`: the backend's fused kernel, or composed from primitives. */
function gaussianSample(
  backend: Backend,
  mu: BackendTensor,
  rho: BackendTensor,
  key: RandomKey,
): BackendTensor {
  if (backend.gaussianSample && fusedKernelsEnabled()) return backend.gaussianSample(mu, rho, key);
  return composed(backend, (b, free) => {
    const eps = free(b.randomNormal(mu.shape, key));
    const sigma = free(b.softplus(rho));
    return b.add(mu, free(b.mul(sigma, eps)));
  });
}

/** The elementwise log-ratio of SPEC.md, summed: fused kernel, or composed from primitives. */
function gaussianLogRatio(
  backend: Backend,
  x: BackendTensor,
  mu: BackendTensor,
  rho: BackendTensor,
  prior: GaussianPrior,
): BackendTensor {
  if (backend.gaussianLogRatio && fusedKernelsEnabled()) {
    return backend.gaussianLogRatio(x, mu, rho, prior);
  }
  return composed(backend, (b, free) => {
    const scalar = (v: number) => free(b.makeTensor(Float32Array.of(v), []));
    const sigma = free(b.softplus(rho));
    // log stdPrior − log sigma
    const logRatio = free(b.sub(scalar(Math.log(prior.std)), free(b.log(sigma))));
    // (x − mu)² / (2 sigma²) = ((x − mu) / sigma)² / 2
    const z = free(b.div(free(b.sub(x, mu)), sigma));
    const posterior = free(b.mul(free(b.square(z)), scalar(0.5)));
    // (x − muPrior)² / (2 stdPrior²)
    const priorTerm = free(
      b.mul(free(b.square(free(b.sub(x, scalar(prior.mu))))), scalar(1 / (2 * prior.std ** 2))),
    );
    const terms = b.add(free(b.sub(logRatio, posterior)), priorTerm);
    // A scalar distribution has one term: it is the sum.
    if (mu.shape.length === 0) return terms;
    return b.sum(
      free(terms),
      mu.shape.map((_, i) => i),
    );
  });
}

/** Runs a composition of kernels, disposing the intermediates it marks with `free`. */
function composed(
  backend: Backend,
  body: (b: Backend, free: (t: BackendTensor) => BackendTensor) => BackendTensor,
): BackendTensor {
  const temporaries: BackendTensor[] = [];
  const free = (t: BackendTensor) => {
    temporaries.push(t);
    return t;
  };
  try {
    return body(backend, free);
  } finally {
    for (const t of temporaries) backend.dispose(t);
  }
}
