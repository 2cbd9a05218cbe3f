/**
 * The model and data of the regression example (examples/regression: Blundell et al. 2015,
 * section 5.2), trained a step at a time so the page can draw between steps: 256 points of
 * y = x + 0.3 sin(2π(x + ε)) + 0.3 sin(4π(x + ε)) + ε, ε ~ N(0, 0.02²), on x ∈ [0, 0.5]; a
 * Bayesian MLP 1-64-64-1 (ReLU), weights N(0, 1) priors, rho −5 at start; ELBO (MSE, KL weight
 * 0.01), Adam at 0.01. The same seed gives the example's data and initial weights.
 */
import {
  Adam,
  ELBOLoss,
  Linear,
  mseLoss,
  predictiveMoments,
  ReLU,
  Sequential,
  type Tensor,
  tensor,
  valueAndGrad,
} from '@illia-ts/core';

/** mulberry32, as in the example: the data's generator (the weights use illia-ts's own). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The curve of Blundell et al. with noise `noise`. */
export function curve(x: number, noise: number): number {
  return (
    x +
    0.3 * Math.sin(2 * Math.PI * (x + noise)) +
    0.3 * Math.sin(4 * Math.PI * (x + noise)) +
    noise
  );
}

/** The prediction grid: x from −0.2 to 1.2, as in the example. */
export const GRID_X: readonly number[] = Array.from({ length: 141 }, (_, i) => -0.2 + i * 0.01);

/** The predictive mean and std on {@link GRID_X}. */
export interface Prediction {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** A training run, one `step()` at a time. */
export class Regression {
  readonly xs: number[];
  readonly ys: number[];
  readonly #model: Sequential;
  readonly #x: Tensor;
  readonly #y: Tensor;
  readonly #grid: Tensor;
  readonly #elbo = new ELBOLoss(mseLoss, { numSamples: 1, klWeight: 0.01 });
  readonly #optimizer: Adam;
  steps = 0;

  constructor(seed = 1, points = 256, hidden = 64) {
    const u = uniform(seed);
    const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    this.xs = Array.from({ length: points }, () => 0.5 * u());
    this.ys = this.xs.map((x) => curve(x, 0.02 * normal()));
    const layer = (inputs: number, outputs: number) =>
      new Linear(inputs, outputs, {
        weightsDistribution: { stdPrior: 1, rhoInit: -5 },
        biasDistribution: { stdPrior: 1, rhoInit: -5 },
        rng: seed,
      });
    this.#model = new Sequential(
      layer(1, hidden),
      new ReLU(),
      layer(hidden, hidden),
      new ReLU(),
      layer(hidden, 1),
    );
    this.#x = tensor(this.xs, [points, 1]);
    this.#y = tensor(this.ys, [points, 1]);
    this.#grid = tensor([...GRID_X], [GRID_X.length, 1]);
    this.#optimizer = new Adam(this.#model.parameters(), { lr: 0.01 });
  }

  /** One Adam step on the ELBO; returns the loss when `read`, else null (no read, no sync). */
  async step(read: boolean): Promise<number | null> {
    const { value, grads } = valueAndGrad(
      () => this.#elbo.call(this.#model, this.#x, this.#y),
      this.#model.parameters(),
    );
    this.#optimizer.step(grads);
    for (const g of grads) g.dispose();
    this.steps++;
    const loss = read ? await value.item() : null;
    value.dispose();
    return loss;
  }

  /** The predictive mean and std on the grid, from `samples` forward passes. */
  async predict(samples: number): Promise<Prediction> {
    const { mean, std } = await predictiveMoments(this.#model, this.#grid, samples);
    return { mean, std };
  }

  dispose(): void {
    this.#x.dispose();
    this.#y.dispose();
    this.#grid.dispose();
    this.#optimizer.dispose();
    this.#model.dispose();
  }
}

/** Mean of `std` over the grid points in [lo, hi]. */
export function meanStd(std: ArrayLike<number>, lo: number, hi: number): number {
  let sum = 0;
  let n = 0;
  GRID_X.forEach((g, i) => {
    if (g >= lo - 1e-9 && g <= hi + 1e-9) {
      sum += std[i] as number;
      n++;
    }
  });
  return sum / n;
}
