import { formatShape, sameShape } from '../../shape.js';
import { type Tensor, tidy } from '../../tensor.js';
import { checkFiniteFloat32, checkPositiveFloat32 } from '../../validate.js';
import { defineOp, type RefTensor } from '../define.js';
import { exp } from '../elementwise/exp.js';
import { logSoftplus, logSoftplusGrad } from '../elementwise/log-softplus.js';
import { maximum } from '../elementwise/maximum.js';
import { mul } from '../elementwise/mul.js';
import { neg } from '../elementwise/neg.js';
import { softplus64 } from '../elementwise/softplus.js';
import { square } from '../elementwise/square.js';
import { sub } from '../elementwise/sub.js';
import type { GaussianLogRatioAttrs, GaussianPrior } from './gaussian-log-ratio.js';

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * `σ^(−1/2) = exp(−log σ / 2)` from rho, at most the largest float32: finite while σ > 1e-77
 * (rho > −177), where `x − mu` times it twice is z without σ's underflow (σ is 0 in float32
 * below rho ≈ −104); below that, z is 0 where x = mu (0 times a finite number) and overflows
 * to ±Infinity elsewhere, as the true value does.
 */
export function inverseRootSigma(rho: Tensor): Tensor {
  const s = exp(mul(logSoftplus(rho), -0.5));
  return neg(maximum(neg(s), -FLOAT32_MAX));
}

/**
 * The gradient of `gaussianLogRatio` composed from other ops. With z = (x − mu)/σ:
 * ∂/∂x = −z/σ + ((x − muPrior)/std)/std, ∂/∂mu = z/σ, ∂/∂rho = (z² − 1) · d log σ/d rho
 * (= sigmoid(rho)/σ, computed without dividing underflows); each times dy. Each piece in a tidy
 * of its own: on a large weight matrix every temporary is a full copy, and the rule runs while
 * the forward pass's tensors are all still alive.
 */
export function composedLogRatioGrad(
  x: Tensor,
  mu: Tensor,
  rho: Tensor,
  dy: Tensor,
  prior: GaussianPrior,
): [Tensor, Tensor, Tensor] {
  const s = tidy(() => inverseRootSigma(rho));
  const z = tidy(() => mul(mul(sub(x, mu), s), s));
  const zOverSigma = tidy(() => mul(mul(z, s), s));
  s.dispose();
  const dRho = tidy(() => mul(mul(sub(square(z), 1), logSoftplusGrad(rho)), dy));
  z.dispose();
  const dx = tidy(() =>
    mul(sub(mul(mul(sub(x, prior.mu), 1 / prior.std), 1 / prior.std), zOverSigma), dy),
  );
  const dMu = mul(zOverSigma, dy);
  zOverSigma.dispose();
  return [dx, dMu, dRho];
}

/** The terms of ∂/∂x in float64: the prior's and the posterior's, each times dy. */
function dxTerms64(
  [x, mu, rho, dy]: readonly RefTensor[],
  prior: GaussianPrior,
): [Float64Array, Float64Array] {
  const g = dy?.values[0] as number;
  const priorTerm = (x as RefTensor).values.map((v) => ((v - prior.mu) / prior.std ** 2) * g);
  const posterior = (x as RefTensor).values.map((v, i) => {
    const sigma = softplus64((rho as RefTensor).values[i] as number);
    return ((v - ((mu as RefTensor).values[i] as number)) / sigma ** 2) * g;
  });
  return [priorTerm, posterior];
}

const GAUSSIAN_LOG_RATIO_GRAD = defineOp<GaussianLogRatioAttrs>({
  name: 'gaussianLogRatioGrad',
  family: 'gaussian',
  summary:
    "gaussianLogRatio's gradient: x, mu, rho and the scalar dy → dx, dMu, dRho; fused where a backend has a kernel",
  inputs: [
    { name: 'x', dtype: 'float32' },
    { name: 'mu', dtype: 'float32' },
    { name: 'rho', dtype: 'float32' },
    { name: 'dy', dtype: 'float32' },
  ],
  attrs: (options) => {
    const prior = (options as Partial<GaussianLogRatioAttrs> | undefined)?.prior;
    checkFiniteFloat32('gaussianLogRatioGrad', 'prior.mu', prior?.mu);
    checkPositiveFloat32('gaussianLogRatioGrad', 'prior.std', prior?.std);
    return { prior: { mu: prior?.mu as number, std: prior?.std as number } };
  },
  output: ([x, mu, rho, dy]) => {
    const shape = (x as Tensor).shape;
    for (const [name, t] of [
      ['mu', mu],
      ['rho', rho],
    ] as const) {
      if (!sameShape((t as Tensor).shape, shape)) {
        throw new RangeError(
          `gaussianLogRatioGrad: ${name} must have x's shape ${formatShape(shape)}, got ${formatShape((t as Tensor).shape)}`,
        );
      }
    }
    if ((dy as Tensor).size !== 1) {
      throw new RangeError(
        `gaussianLogRatioGrad: dy must be one value (the gradient of a scalar), got shape ${formatShape((dy as Tensor).shape)}`,
      );
    }
    const o = { shape, dtype: 'float32' } as const;
    return [o, o, o];
  },
  fallback: ([x, mu, rho, dy], { prior }) =>
    composedLogRatioGrad(x as Tensor, mu as Tensor, rho as Tensor, dy as Tensor, prior),
  // The first output, dx; dMu and dRho are checked by gaussianLogRatio's gradient tests, which
  // run through this op.
  reference: (inputs, { prior }) => {
    const [priorTerm, posterior] = dxTerms64(inputs, prior);
    return priorTerm.map((p, i) => p - (posterior[i] as number));
  },
  tolerance: {
    // softplus and a square of σ (8 roundings each), a few arithmetic ones.
    roundings: 24,
    scale: (inputs, { prior }) => {
      const [priorTerm, posterior] = dxTerms64(inputs, prior);
      return priorTerm.map((p, i) => Math.abs(p) + Math.abs(posterior[i] as number));
    },
  },
  cases: [
    {
      name: '[3, 4] against N(0.2, 0.5²), dy 0.7',
      inputs: [
        { shape: [3, 4] },
        { shape: [3, 4] },
        { shape: [3, 4] },
        { shape: [], values: [0.7] },
      ],
      options: { prior: { mu: 0.2, std: 0.5 } },
    },
    {
      name: 'rho from −20 to 20 against N(0, 0.1²), dy −1',
      inputs: [
        { shape: [5], values: [0.3, -0.4, 0.5, -0.6, 0.7] },
        { shape: [5], values: [0.25, -0.5, 1, 0, 0.7] },
        { shape: [5], values: [-20, -3, 0, 3, 20] },
        { shape: [1], values: [-1] },
      ],
      options: { prior: { mu: 0, std: 0.1 } },
    },
  ],
  errors: [
    {
      name: 'mu of another shape',
      inputs: [{ shape: [2, 3] }, { shape: [3, 2] }, { shape: [2, 3] }, { shape: [] }],
      options: { prior: { mu: 0, std: 1 } },
      throws: /gaussianLogRatioGrad: mu must have x's shape \[2, 3\], got \[3, 2\]/,
    },
    {
      name: 'dy of more than one value',
      inputs: [{ shape: [2] }, { shape: [2] }, { shape: [2] }, { shape: [2] }],
      options: { prior: { mu: 0, std: 1 } },
      throws: /gaussianLogRatioGrad: dy must be one value/,
    },
  ],
});

/** The gradients of `gaussianLogRatio(x, mu, rho, prior)` times the scalar `dy`: dx, dMu, dRho. */
export function gaussianLogRatioGrad(
  x: Tensor,
  mu: Tensor,
  rho: Tensor,
  dy: Tensor,
  prior: GaussianPrior,
): [Tensor, Tensor, Tensor] {
  return GAUSSIAN_LOG_RATIO_GRAD.runMulti([x, mu, rho, dy], { prior }) as [Tensor, Tensor, Tensor];
}
