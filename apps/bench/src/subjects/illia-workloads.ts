/**
 * The workloads of an illia-ts backend, as a user writes them with `@illia-ts/core`: no Node
 * import, so that the browser runner's page (`src/browser/page.ts`) runs the same code in
 * Chromium that the worker processes run in Node.
 */
import { cnnBatch } from '../cnn-reference.js';
import { convData } from '../conv-reference.js';
import { trainBatch } from '../train-reference.js';
import type {
  CnnSetup,
  CnnWorkload,
  ConvCheckValues,
  ConvShape,
  ConvWorkload,
  GaussianSetup,
  TrainCheckValues,
  TrainSetup,
  TrainWorkload,
  Workload,
} from './types.js';
import { cnnSides, convOutput } from './types.js';

type Core = typeof import('@illia-ts/core');

export async function illiaWorkload(
  core: Core,
  size: number,
  setup: GaussianSetup,
): Promise<Workload> {
  const options = {
    muInit: setup.muInit,
    rhoInit: setup.rhoInit,
    muPrior: setup.prior.mu,
    stdPrior: setup.prior.std,
  };
  const dist = new core.GaussianDistribution([size], { ...options, rng: setup.seed });
  const x = dist.sample();
  // One advancing generator, so every construction draws new parameters.
  const constructRng = core.rng(setup.seed + 1);
  return {
    ops: {
      async construct() {
        const d = new core.GaussianDistribution([size], { ...options, rng: constructRng });
        try {
          await Promise.all([d.mu.data(), d.rho.data()]);
        } finally {
          d.dispose();
        }
      },
      async sample() {
        const s = dist.sample();
        try {
          await s.data();
        } finally {
          s.dispose();
        }
      },
      async logProb() {
        const lp = dist.logProb(x);
        try {
          await lp.data();
        } finally {
          lp.dispose();
        }
      },
      async sampleLogProb() {
        // The sample stays on the backend (it feeds the next layer); the KL term is read.
        const s = dist.sample();
        const lp = dist.logProb(s);
        try {
          await lp.data();
        } finally {
          s.dispose();
          lp.dispose();
        }
      },
    },
    async checkValues() {
      const lp = dist.logProb(x);
      const s = dist.sample();
      try {
        const [mu, rho, xs, logProb, sample] = await Promise.all([
          dist.mu.data(),
          dist.rho.data(),
          x.data(),
          lp.item(),
          s.data(),
        ]);
        return { mu, rho, x: xs, logProb, sample };
      } finally {
        lp.dispose();
        s.dispose();
      }
    },
    liveTensors: () => core.memory().numTensors,
    dispose() {
      x.dispose();
      dist.dispose();
    },
  };
}

/** Training steps the check runs (they are the warm-up too): the loss must fall over them. */
export const CHECK_STEPS = 5;

/**
 * The training step as a user writes it: a `Sequential` of Bayesian `Linear` layers and `ReLU`,
 * `ELBOLoss(crossEntropyLoss)` (one sample), `valueAndGrad`, `Adam.step`, then `await loss.data()`.
 */
export async function illiaTrainWorkload(
  core: Core,
  hidden: number,
  setup: TrainSetup,
  gaussian: GaussianSetup,
): Promise<TrainWorkload> {
  const dist = {
    muInit: gaussian.muInit,
    rhoInit: gaussian.rhoInit,
    muPrior: gaussian.prior.mu,
    stdPrior: gaussian.prior.std,
  };
  const layer = (inputs: number, outputs: number, seed: number) =>
    new core.Linear(inputs, outputs, {
      weightsDistribution: dist,
      biasDistribution: dist,
      rng: seed,
    });
  const first = layer(setup.input, hidden, gaussian.seed);
  const second = layer(hidden, setup.classes, gaussian.seed + 1);
  const model = new core.Sequential(first, new core.ReLU(), second);
  const data = trainBatch(setup, gaussian.seed);
  const x = core.tensor(data.x, [setup.batch, setup.input]);
  const y = core.oneHot(data.labels, setup.classes);
  return trainingWorkload(core, model, setup, x, y);
}

/**
 * What both training workloads do with their model, input and target: the ELBO of
 * cross-entropy (one sample), `valueAndGrad`, `Adam.step`, then `await loss.data()`. The check
 * runs one deterministic step (the model frozen at its means, nothing updated), then
 * {@link CHECK_STEPS} training steps. The workload owns `x` and `target`.
 */
function trainingWorkload(
  core: Core,
  model: import('@illia-ts/core').Sequential,
  setup: { readonly klWeight: number; readonly lr: number },
  x: import('@illia-ts/core').Tensor,
  target: import('@illia-ts/core').Tensor<'float32'> | import('@illia-ts/core').Tensor<'int32'>,
): TrainWorkload {
  const elbo = new core.ELBOLoss(core.crossEntropyLoss, {
    numSamples: 1,
    klWeight: setup.klWeight,
  });
  const params = model.parameters();
  const optimizer = new core.Adam(params, { lr: setup.lr });
  const step = async (): Promise<number> => {
    const { value, grads } = core.valueAndGrad(() => elbo.call(model, x, target), params);
    try {
      optimizer.step(grads);
      return (await value.data())[0] as number;
    } finally {
      value.dispose();
      for (const g of grads) g.dispose();
    }
  };
  return {
    async step() {
      await step();
    },
    async checkValues(): Promise<TrainCheckValues> {
      model.freeze('mean');
      let checked: { loss: number; grads: Float32Array[] };
      try {
        const { value, grads } = core.valueAndGrad(() => elbo.call(model, x, target), params);
        try {
          const [loss, ...gradValues] = await Promise.all([
            value.data(),
            ...grads.map((g) => g.data()),
          ]);
          checked = { loss: (loss as Float32Array)[0] as number, grads: gradValues };
        } finally {
          value.dispose();
          for (const g of grads) g.dispose();
        }
      } finally {
        model.unfreeze();
      }
      const values = await Promise.all(params.map((p) => p.data()));
      const losses: number[] = [];
      for (let i = 0; i < CHECK_STEPS; i++) losses.push(await step());
      return { params: values, grads: checked.grads, loss: checked.loss, losses };
    },
    liveTensors: () => core.memory().numTensors,
    dispose() {
      x.dispose();
      target.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * The CNN of `examples/mnist-cnn` (its `buildModel`) trained as the example does: `Sequential` of
 * Bayesian `Conv2d`, `ReLU`, `MaxPool2d(2)`, `Flatten` and Bayesian `Linear`s,
 * `ELBOLoss(crossEntropyLoss)` (one sample) on int32 labels, `valueAndGrad`, `Adam.step`, then
 * `await loss.data()`. The distributions are the bench's (`GaussianSetup`), as `trainStep`'s.
 */
export async function illiaCnnWorkload(
  core: Core,
  setup: CnnSetup,
  gaussian: GaussianSetup,
): Promise<CnnWorkload> {
  const dist = {
    muInit: gaussian.muInit,
    rhoInit: gaussian.rhoInit,
    muPrior: gaussian.prior.mu,
    stdPrior: gaussian.prior.std,
  };
  const bayes = { weightsDistribution: dist, biasDistribution: dist };
  const [c1, c2] = setup.channels;
  const k = setup.kernel;
  const [, , , pooled] = cnnSides(setup);
  const layers = [
    new core.Conv2d(1, c1, k, { ...bayes, rng: gaussian.seed }),
    new core.Conv2d(c1, c2, k, { ...bayes, rng: gaussian.seed + 1 }),
    new core.Linear(c2 * pooled * pooled, setup.hidden, { ...bayes, rng: gaussian.seed + 2 }),
    new core.Linear(setup.hidden, setup.classes, { ...bayes, rng: gaussian.seed + 3 }),
  ] as const;
  const model = new core.Sequential(
    layers[0],
    new core.ReLU(),
    new core.MaxPool2d(2),
    layers[1],
    new core.ReLU(),
    new core.MaxPool2d(2),
    new core.Flatten(),
    layers[2],
    new core.ReLU(),
    layers[3],
  );
  const data = cnnBatch(setup, gaussian.seed);
  const x = core.tensor(data.x, [setup.batch, 1, setup.side, setup.side]);
  const labels = core.tensor(data.labels, [setup.batch], 'int32');
  return trainingWorkload(core, model, setup, x, labels);
}

/**
 * conv2d as a user trains a convolution with `@illia-ts/core`: `valueAndGrad` of the loss
 * `sum(mul(conv2d(x, w), g))` with respect to x and w (its backward runs `conv2dInputGrad` and
 * `conv2dWeightsGrad`), then `await` of the loss, dx and dW, so a lazy backend really computes.
 */
export function illiaConvWorkload(core: Core, shape: ConvShape, seed: number): ConvWorkload {
  const { batch: n, inChannels: c, outChannels: o } = shape;
  const [ho, wo] = convOutput(shape);
  const data = convData(shape, seed);
  const x = core.tensor(data.x, [n, c, shape.height, shape.width]);
  const w = core.tensor(data.w, [o, c, shape.kernelHeight, shape.kernelWidth]);
  const g = core.tensor(data.g, [n, o, ho, wo]);
  const pass = () =>
    core.valueAndGrad(() => core.sum(core.mul(core.conv2d(x, w), g)), [x, w]) as {
      value: import('@illia-ts/core').Tensor;
      grads: [import('@illia-ts/core').Tensor, import('@illia-ts/core').Tensor];
    };
  return {
    async step() {
      const { value, grads } = pass();
      try {
        await Promise.all([value.data(), grads[0].data(), grads[1].data()]);
      } finally {
        value.dispose();
        for (const t of grads) t.dispose();
      }
    },
    async checkValues(): Promise<ConvCheckValues> {
      const y = core.conv2d(x, w);
      const { value, grads } = pass();
      try {
        const [yv, dx, dW] = await Promise.all([y.data(), grads[0].data(), grads[1].data()]);
        return { y: yv as Float32Array, dx: dx as Float32Array, dW: dW as Float32Array };
      } finally {
        y.dispose();
        value.dispose();
        for (const t of grads) t.dispose();
      }
    },
    liveTensors: () => core.memory().numTensors,
    dispose() {
      x.dispose();
      w.dispose();
      g.dispose();
    },
  };
}
