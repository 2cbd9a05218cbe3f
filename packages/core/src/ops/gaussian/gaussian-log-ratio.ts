import { isRecorded } from '../../autodiff.js';
import type { Tensor } from '../../tensor.js';
import { checkFiniteFloat32, checkPositiveFloat32 } from '../../validate.js';
import { defineOp, type RefTensor } from '../define.js';
import { add } from '../elementwise/add.js';
import { logSoftplus, logSoftplus64 } from '../elementwise/log-softplus.js';
import { mul } from '../elementwise/mul.js';
import { softplus64 } from '../elementwise/softplus.js';
import { square } from '../elementwise/square.js';
import { sub } from '../elementwise/sub.js';
import { sum } from '../reduction/sum.js';
import {
  composedLogRatioGrad,
  gaussianLogRatioGrad,
  inverseRootSigma,
} from './gaussian-log-ratio-grad.js';

/** The prior of a Gaussian log-ratio: `N(mu, std²)`. */
export interface GaussianPrior {
  readonly mu: number;
  readonly std: number;
}

/** What a gaussianLogRatio kernel gets: the prior. */
export interface GaussianLogRatioAttrs {
  readonly prior: GaussianPrior;
}

/** The terms of the log-ratio in float64, each element's. */
function terms64(x: RefTensor, mu: RefTensor, rho: RefTensor, prior: GaussianPrior): Float64Array {
  return x.values.map((xv, i) => {
    const r = rho.values[i] as number;
    const d = xv - (mu.values[i] as number);
    // σ underflows float64 too below rho ≈ −745: then z is 0 where x = mu, else infinite.
    const sigma = softplus64(r);
    const z = d === 0 ? 0 : d / sigma;
    const zp = (xv - prior.mu) / prior.std;
    return Math.log(prior.std) - logSoftplus64(r) - (z * z) / 2 + (zp * zp) / 2;
  });
}

const GAUSSIAN_LOG_RATIO = defineOp<GaussianLogRatioAttrs>({
  name: 'gaussianLogRatio',
  family: 'gaussian',
  summary:
    'Σ log N(x; mu, softplus(rho)) − Σ log N(x; prior.mu, prior.std), a scalar; fused where a backend has a kernel',
  inputs: [
    { name: 'x', dtype: 'float32' },
    { name: 'mu', dtype: 'float32' },
    { name: 'rho', dtype: 'float32' },
  ],
  // The prior as GaussianDistribution takes it: float32 numbers the composed form can hold.
  attrs: (options) => {
    const prior = (options as Partial<GaussianLogRatioAttrs> | undefined)?.prior;
    checkFiniteFloat32('gaussianLogRatio', 'prior.mu', prior?.mu);
    checkPositiveFloat32('gaussianLogRatio', 'prior.std', prior?.std);
    return { prior: { mu: prior?.mu as number, std: prior?.std as number } };
  },
  output: () => ({ shape: [], dtype: 'float32' }),
  // Scale-free: log σ from rho directly, z as (x − mu)·s·s with s = σ^(−1/2) (see
  // inverseRootSigma), and the prior's term as ((x − muPrior)/std)², so a large mean, a small
  // prior or an underflowing σ cannot overflow or give NaN where the true value does not.
  fallback: ([x, mu, rho], { prior }) => {
    const s = inverseRootSigma(rho as Tensor);
    const logRatio = sub(Math.log(prior.std), logSoftplus(rho as Tensor));
    const z = mul(mul(sub(x as Tensor, mu as Tensor), s), s);
    const posterior = mul(square(z), 0.5);
    const priorTerm = mul(square(mul(sub(x as Tensor, prior.mu), 1 / prior.std)), 0.5);
    const terms = add(sub(logRatio, posterior), priorTerm);
    return terms.shape.length === 0 ? terms : sum(terms);
  },
  // Fused where the backend has the kernel; composed (differentiable again) where an outer tape
  // records this backward pass.
  gradient: ({ inputs: [x, mu, rho], attrs: { prior }, dy }) => {
    const args = [x, mu, rho, dy] as [Tensor, Tensor, Tensor, Tensor];
    return isRecorded(args)
      ? composedLogRatioGrad(...args, prior)
      : gaussianLogRatioGrad(...args, prior);
  },
  reference: ([x, mu, rho], { prior }) => {
    const t = terms64(x as RefTensor, mu as RefTensor, rho as RefTensor, prior);
    return Float64Array.of(t.reduce((p, q) => p + q, 0));
  },
  tolerance: {
    // Each term: softplus, log (8 roundings each), a few arithmetic ones; the sum n more.
    roundings: ([x]) => (x?.values.length ?? 1) + 24,
    gradientRoundings: 48,
    scale: ([x, mu, rho], { prior }) =>
      Float64Array.of(
        terms64(x as RefTensor, mu as RefTensor, rho as RefTensor, prior).reduce(
          (p, q) => p + Math.abs(q),
          0,
        ),
      ),
  },
  cases: [
    {
      name: '[3, 4] against N(0.2, 0.5²)',
      inputs: [{ shape: [3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }],
      options: { prior: { mu: 0.2, std: 0.5 } },
    },
    {
      name: 'σ below float32 (rho −110, −200) with x = mu, and a huge mean against a huge prior',
      inputs: [
        { shape: [3], values: [0.25, -0.5, 1e30] },
        { shape: [3], values: [0.25, -0.5, 1e30] },
        { shape: [3], values: [-110, -200, -3] },
      ],
      options: { prior: { mu: 0, std: 1e30 } },
      gradient: false,
    },
    {
      name: 'scalar',
      inputs: [{ shape: [] }, { shape: [], values: [0.1] }, { shape: [], values: [-1] }],
      options: { prior: { mu: 0, std: 0.1 } },
    },
  ],
  errors: [
    {
      name: 'a prior std that is not a normal float32',
      inputs: [{ shape: [2] }, { shape: [2] }, { shape: [2] }],
      options: { prior: { mu: 0, std: 1e-40 } },
      throws: /gaussianLogRatio: prior\.std must be a positive normal float32/,
    },
    {
      name: 'a prior mean beyond float32',
      inputs: [{ shape: [2] }, { shape: [2] }, { shape: [2] }],
      options: { prior: { mu: 1e39, std: 1 } },
      throws: /gaussianLogRatio: prior\.mu must be finite in float32/,
    },
  ],
});

/** The scalar `Σ log N(x; mu, softplus(rho)) − Σ log N(x; prior.mu, prior.std)`. */
export function gaussianLogRatio(x: Tensor, mu: Tensor, rho: Tensor, prior: GaussianPrior): Tensor {
  return GAUSSIAN_LOG_RATIO.run([x, mu, rho], { prior }) as Tensor;
}
