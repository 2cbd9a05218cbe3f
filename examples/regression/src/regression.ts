/**
 * Regression with uncertainty (Blundell et al. 2015, "Weight Uncertainty in Neural Networks",
 * section 5.2): y = x + 0.3 sin(2π(x + ε)) + 0.3 sin(4π(x + ε)) + ε, ε ~ N(0, 0.02²), observed on
 * x ∈ [0, 0.5]. A Bayesian MLP trained by the ELBO is confident where it saw data and uncertain
 * away from it.
 */
import {
  Adam,
  ELBOLoss,
  Linear,
  mseLoss,
  predictiveMoments,
  ReLU,
  Sequential,
  tensor,
  valueAndGrad,
} from '@illia-ts/core';

/** Options of {@link runRegression}. */
export interface RegressionOptions {
  /** Training points on [0, 0.5]. Default 256. */
  points?: number;
  /** Adam steps. Default 3000. */
  steps?: number;
  /** Hidden units of each of the two hidden layers. Default 64. */
  hidden?: number;
  /** Forward passes for the predictive mean and std. Default 100. */
  samples?: number;
  /** Seed of the data and the weights. Default 1. */
  seed?: number;
  /** Called every 100 steps with the step and the loss. */
  onProgress?: (step: number, loss: number) => void;
}

/** What {@link runRegression} returns: the data, the prediction grid and the std ratio. */
export interface RegressionResult {
  readonly train: { x: number[]; y: number[] };
  readonly grid: { x: number[]; mean: number[]; std: number[] };
  /** Mean predictive std on the training range [0, 0.5]. */
  readonly stdIn: number;
  /** Mean predictive std on [0.6, 1.2]. */
  readonly stdOut: number;
  readonly finalLoss: number;
  readonly seconds: number;
}

/** mulberry32: a small seeded generator for the data (the weights use illia-ts's own). */
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

/** The curve of Blundell et al. with noise ε ~ N(0, 0.02²). */
export function curve(x: number, noise: number): number {
  return (
    x +
    0.3 * Math.sin(2 * Math.PI * (x + noise)) +
    0.3 * Math.sin(4 * Math.PI * (x + noise)) +
    noise
  );
}

export async function runRegression(options: RegressionOptions = {}): Promise<RegressionResult> {
  const { points = 256, steps = 3000, hidden = 64, samples = 100, seed = 1 } = options;
  const started = performance.now();
  const u = uniform(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const xs = Array.from({ length: points }, () => 0.5 * u());
  const ys = xs.map((x) => curve(x, 0.02 * normal()));

  // Weights start nearly deterministic (rho −5: sigma ≈ 0.007) under a N(0, 1) prior; the KL term
  // pulls sigma up wherever the data do not pin the weights down.
  const layer = (inputs: number, outputs: number) =>
    new Linear(inputs, outputs, {
      weightsDistribution: { stdPrior: 1, rhoInit: -5 },
      biasDistribution: { stdPrior: 1, rhoInit: -5 },
      rng: seed,
    });
  const model = new Sequential(
    layer(1, hidden),
    new ReLU(),
    layer(hidden, hidden),
    new ReLU(),
    layer(hidden, 1),
  );
  const x = tensor(xs, [points, 1]);
  const y = tensor(ys, [points, 1]);
  const elbo = new ELBOLoss(mseLoss, { numSamples: 1, klWeight: 0.01 });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  let finalLoss = Number.NaN;
  for (let step = 1; step <= steps; step++) {
    const { value, grads } = valueAndGrad(() => elbo.call(model, x, y), model.parameters());
    optimizer.step(grads);
    for (const g of grads) g.dispose();
    if (step % 100 === 0 || step === steps) {
      finalLoss = await value.item();
      options.onProgress?.(step, finalLoss);
    }
    value.dispose();
  }

  const gridX = Array.from({ length: 141 }, (_, i) => -0.2 + i * 0.01);
  const grid = tensor(gridX, [gridX.length, 1]);
  const { mean, std } = await predictiveMoments(model, grid, samples);
  grid.dispose();
  x.dispose();
  y.dispose();
  optimizer.dispose();
  model.dispose();

  const meanStd = (lo: number, hi: number) => {
    const picked = gridX.flatMap((g, i) =>
      g >= lo - 1e-9 && g <= hi + 1e-9 ? [std[i] as number] : [],
    );
    return picked.reduce((s, v) => s + v, 0) / picked.length;
  };
  return {
    train: { x: xs, y: ys },
    grid: { x: gridX, mean: Array.from(mean), std: Array.from(std) },
    stdIn: meanStd(0, 0.5),
    stdOut: meanStd(0.6, 1.2),
    finalLoss,
    seconds: (performance.now() - started) / 1000,
  };
}

/** An SVG plot of the data, the predictive mean and the ±2 std band. */
export function regressionSvg(result: RegressionResult): string {
  const width = 720;
  const height = 420;
  const pad = 48;
  const { grid, train } = result;
  const lows = grid.mean.map((m, i) => m - 2 * (grid.std[i] as number));
  const highs = grid.mean.map((m, i) => m + 2 * (grid.std[i] as number));
  const yMin = Math.min(...lows, ...train.y, -0.5);
  const yMax = Math.max(...highs, ...train.y, 1.5);
  const clampY = (v: number) => Math.min(Math.max(v, yMin), yMax);
  const sx = (v: number) => pad + ((v - -0.2) / 1.4) * (width - 2 * pad);
  const sy = (v: number) =>
    height - pad - ((clampY(v) - yMin) / (yMax - yMin)) * (height - 2 * pad);
  const line = (ys: number[]) =>
    ys
      .map((v, i) => `${i ? 'L' : 'M'}${sx(grid.x[i] as number).toFixed(1)},${sy(v).toFixed(1)}`)
      .join('');
  const band = `${line(highs)}${lows
    .map((v, i) => [grid.x[i] as number, v] as const)
    .reverse()
    .map(([gx, v]) => `L${sx(gx).toFixed(1)},${sy(v).toFixed(1)}`)
    .join('')}Z`;
  const truth = grid.x.map((gx) => curve(gx, 0));
  const dots = train.x
    .map(
      (tx, i) =>
        `<circle cx="${sx(tx).toFixed(1)}" cy="${sy(train.y[i] as number).toFixed(1)}" r="2" fill="#222"/>`,
    )
    .join('');
  const ticks = [-0.2, 0, 0.2, 0.4, 0.6, 0.8, 1, 1.2]
    .map(
      (t) =>
        `<text x="${sx(t).toFixed(1)}" y="${height - pad + 18}" font-size="12" text-anchor="middle">${t}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="24" font-size="15" text-anchor="middle">Bayesian MLP on the curve of Blundell et al. 2015: mean ± 2 std (std out/in ${(result.stdOut / result.stdIn).toFixed(1)}×)</text>
<rect x="${sx(0).toFixed(1)}" y="${pad}" width="${(sx(0.5) - sx(0)).toFixed(1)}" height="${height - 2 * pad}" fill="#f3f3f3"/>
<path d="${band}" fill="#4a90d9" fill-opacity="0.3" stroke="none"/>
<path d="${line(truth)}" fill="none" stroke="#999" stroke-dasharray="4 3"/>
<path d="${line(grid.mean)}" fill="none" stroke="#1f5fa8" stroke-width="2"/>
${dots}
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#444"/>
${ticks}
<text x="${width - pad}" y="${pad + 14}" font-size="12" text-anchor="end">grey: training range · dashed: noise-free curve · dots: data</text>
</svg>
`;
}
