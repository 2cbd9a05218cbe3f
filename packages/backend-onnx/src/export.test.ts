/**
 * `exportOnnx`: the exported model runs in plain onnxruntime-node (no illia-ts in the loop) and
 * gives illia-ts's output at the means within 1e-5, and its predictive mean and std within Monte
 * Carlo error when it samples the weights itself.
 */
import {
  type AnyTensor,
  AvgPool1d,
  AvgPool2d,
  Conv1d,
  Conv2d,
  Embedding,
  exp,
  Flatten,
  Linear,
  LSTM,
  logSoftmax,
  MaxPool1d,
  MaxPool2d,
  type Module,
  predictiveMoments,
  ReLU,
  registerBackend,
  Sequential,
  Sigmoid,
  setBackend,
  Tanh,
  type Tensor,
  tensor,
  tidy,
} from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from './export.js';
import { OnnxBackend } from './onnx-backend.js';

const backend = new OnnxBackend({ name: 'onnx-export', intraOpNumThreads: 2 });
registerBackend('onnx-export', () => backend);

const [inputs, classes, batch] = [5, 3, 7];
const dist = { muInit: 0, rhoInit: -2, muPrior: 0, stdPrior: 0.1 };
const linear = (i: number, o: number, seed: number, useBias = true) =>
  new Linear(i, o, {
    weightsDistribution: { ...dist, muInit: 0.1 },
    biasDistribution: dist,
    useBias,
    rng: seed,
  });

/** Every supported kind, a nested Sequential and a layer without bias. */
function makeModel(): Sequential {
  return new Sequential(
    linear(inputs, 16, 1),
    new ReLU(),
    new Sequential(linear(16, 8, 2, false), new Tanh()),
    linear(8, 8, 3),
    new Sigmoid(),
    linear(8, classes, 4),
  );
}

const xValues = Float32Array.from({ length: batch * inputs }, (_, i) => Math.sin(i * 1.7) * 2);

/** The exported model run by plain onnxruntime-node. */
async function runOnnx(
  session: ort.InferenceSession,
  values: Float32Array | Int32Array,
  rows: number,
  features: readonly number[] = [inputs],
): Promise<{ mean: Float32Array; std: Float32Array; dims: readonly number[] }> {
  const type = values instanceof Int32Array ? 'int32' : 'float32';
  const out = await session.run({
    input: new ort.Tensor(type, values, [rows, ...features]),
  });
  const mean = out.mean as ort.Tensor;
  const std = out.std as ort.Tensor;
  return { mean: mean.data as Float32Array, std: std.data as Float32Array, dims: mean.dims };
}

/** The model followed by a softmax, as a module. */
const withSoftmax = <In extends Tensor | Tensor<'int32'>>(model: Module<In>): Module<In> => ({
  forward: (x: In) => tidy(() => exp(logSoftmax(model.forward(x)))),
  parameters: () => model.parameters(),
  dispose: () => model.dispose(),
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

beforeAll(async () => {
  await setBackend('onnx-export');
});

describe('exportOnnx, mode mean', { timeout: 60_000 }, () => {
  it("gives illia-ts's output at the means (freeze('mean')) within 1e-5, std all zeros", async () => {
    const model = makeModel();
    const bytes = await exportOnnx(model, { inputShape: ['batch', inputs] });
    expect(bytes).toBeInstanceOf(Uint8Array);
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['mean', 'std']);

    model.freeze('mean');
    const expected = await model.forward(tensor(xValues, [batch, inputs])).data();
    const { mean, std, dims } = await runOnnx(session, xValues, batch);
    expect(dims).toEqual([batch, classes]);
    expect(maxAbsDiff(mean, expected)).toBeLessThan(1e-5);
    expect(Array.from(std).every((v) => v === 0)).toBe(true);

    // The batch is symbolic: the same session takes another batch size.
    const three = await runOnnx(session, xValues.subarray(0, 3 * inputs), 3);
    expect(three.dims).toEqual([3, classes]);
    expect(maxAbsDiff(three.mean, expected.subarray(0, 3 * classes))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('applies the softmax, and takes a fixed batch size', async () => {
    const model = makeModel();
    const bytes = await exportOnnx(model, {
      inputShape: [batch, inputs],
      activation: 'softmax',
    });
    const session = await ort.InferenceSession.create(bytes);
    model.freeze('mean');
    const expected = await withSoftmax(model)
      .forward(tensor(xValues, [batch, inputs]))
      .data();
    const { mean, dims } = await runOnnx(session, xValues, batch);
    expect(dims).toEqual([batch, classes]);
    expect(maxAbsDiff(mean, expected)).toBeLessThan(1e-5);
    await expect(runOnnx(session, xValues.subarray(0, 3 * inputs), 3)).rejects.toThrow();
    model.dispose();
  });

  it('exports a single Linear layer the same way', async () => {
    const layer = linear(inputs, classes, 9);
    const session = await ort.InferenceSession.create(
      await exportOnnx(layer, { inputShape: ['n', inputs] }),
    );
    layer.freeze('mean');
    const expected = await layer.forward(tensor(xValues, [batch, inputs])).data();
    expect(maxAbsDiff((await runOnnx(session, xValues, batch)).mean, expected)).toBeLessThan(1e-5);
    layer.dispose();
  });
});

/**
 * Both sides are Monte Carlo estimates: ONNX's from `nOnnx` draws, illia-ts's `predictiveMoments`
 * from `nIllia`. Per output element with predictive std σ and fourth central moment μ4:
 *   se(mean difference) = σ·√(1/nOnnx + 1/nIllia)
 *   se(std difference)  = √((μ4 − σ⁴)/nOnnx + (μ4 − σ⁴)/nIllia) / (2σ)   (delta method on s²)
 * μ4 and σ are estimated from `nKurtosis` further illia-ts draws. Every element must be within 5
 * standard errors (a false failure has probability ~6·10⁻⁷ per element), plus 1e-5 for float32
 * rounding of outputs that barely vary.
 */
async function checkAgainstPredictive(
  model: Module<Tensor> | Module<Tensor<'int32'>>,
  wrapSoftmax: boolean,
  xs: Float32Array | Int32Array = xValues,
  features: readonly number[] = [inputs],
  outputs: readonly number[] = [classes],
  label = features.length === 1 ? 'MLP' : `${features.length - 1}-D CNN`,
): Promise<void> {
  const nOnnx = 4000;
  const nIllia = 2000;
  const nKurtosis = 1000;
  const bytes = await exportOnnx(model, {
    inputShape: ['batch', ...features],
    mode: 'sample',
    samples: nOnnx,
    ...(wrapSoftmax ? { activation: 'softmax' as const } : {}),
  });
  const session = await ort.InferenceSession.create(bytes);
  const onnx = await runOnnx(session, xs, batch, features);
  expect(onnx.dims).toEqual([batch, ...outputs]);

  const illiaModel = (wrapSoftmax ? withSoftmax(model as Module) : model) as Module<AnyTensor>;
  const x: AnyTensor =
    xs instanceof Int32Array
      ? tensor(Array.from(xs), [batch, ...features], 'int32')
      : tensor(xs, [batch, ...features]);
  const illia = await predictiveMoments(illiaModel, x, nIllia);

  const size = onnx.mean.length;
  const draws: Float32Array[] = [];
  for (let s = 0; s < nKurtosis; s++) {
    const out = tidy(() => illiaModel.forward(x));
    draws.push(await out.data());
    out.dispose();
  }
  let worstMean = 0;
  let worstStd = 0;
  for (let i = 0; i < size; i++) {
    const m = draws.reduce((a, d) => a + d[i]!, 0) / nKurtosis;
    const variance = draws.reduce((a, d) => a + (d[i]! - m) ** 2, 0) / (nKurtosis - 1);
    const mu4 = draws.reduce((a, d) => a + (d[i]! - m) ** 4, 0) / nKurtosis;
    const sigma = Math.sqrt(variance);
    expect(sigma).toBeGreaterThan(0);
    const seMean = sigma * Math.sqrt(1 / nOnnx + 1 / nIllia);
    const seStd =
      Math.sqrt(Math.max(0, mu4 - variance ** 2) * (1 / nOnnx + 1 / nIllia)) / (2 * sigma);
    const dMean = Math.abs(onnx.mean[i]! - illia.mean[i]!);
    const dStd = Math.abs(onnx.std[i]! - illia.std[i]!);
    worstMean = Math.max(worstMean, dMean / seMean);
    worstStd = Math.max(worstStd, dStd / seStd);
    expect(dMean).toBeLessThan(5 * seMean + 1e-5);
    expect(dStd).toBeLessThan(5 * seStd + 1e-5);
  }
  // The largest deviations, in standard errors (for the report).
  console.log(
    `exportOnnx sample${wrapSoftmax ? ' + softmax' : ''} ${label}: worst |Δmean| = ${worstMean.toFixed(2)} se, worst |Δstd| = ${worstStd.toFixed(2)} se over ${size} outputs`,
  );

  // Fresh draws at every run of the same session.
  const again = await runOnnx(session, xs, batch, features);
  expect(maxAbsDiff(again.mean, onnx.mean)).toBeGreaterThan(0);
  expect(maxAbsDiff(again.std, onnx.std)).toBeGreaterThan(0);
}

describe('exportOnnx, mode sample', { timeout: 120_000 }, () => {
  it("gives illia-ts's predictive mean and std within Monte Carlo error, fresh draws each run", async () => {
    const model = makeModel();
    await checkAgainstPredictive(model, false);
    model.dispose();
  });

  it('averages the softmax of each sample', async () => {
    const model = makeModel();
    await checkAgainstPredictive(model, true);
    model.dispose();
  });

  it('with one sample, std is zero (as predictiveMoments)', async () => {
    const model = makeModel();
    const session = await ort.InferenceSession.create(
      await exportOnnx(model, { inputShape: ['batch', inputs], mode: 'sample', samples: 1 }),
    );
    const { std } = await runOnnx(session, xValues, batch);
    expect(Array.from(std).every((v) => v === 0)).toBe(true);
    model.dispose();
  });
});

/** A small CNN: every 2-D kind, stride, padding, dilation and groups, nested. */
const image = [2, 9, 9];
function makeCnn(): Sequential {
  const conv = (i: number, o: number, k: number, seed: number, options = {}) =>
    new Conv2d(i, o, k, {
      weightsDistribution: { ...dist, muInit: 0.05 },
      biasDistribution: dist,
      rng: seed,
      ...options,
    });
  return new Sequential(
    conv(2, 4, 3, 11, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2, { stride: 2, padding: 1 }),
    new Sequential(conv(4, 4, 2, 12, { groups: 2, dilation: [1, 2], useBias: false }), new Tanh()),
    new AvgPool2d([2, 2], { stride: 1, padding: 1 }),
    new Flatten(),
    linear(4 * 5 * 4, classes, 13),
  );
}
const imageValues = Float32Array.from({ length: batch * 2 * 9 * 9 }, (_, i) => Math.cos(i * 0.37));

describe('exportOnnx, convolutional models', { timeout: 120_000 }, () => {
  it("mode mean: illia-ts's output at the means within 1e-5", async () => {
    const model = makeCnn();
    const session = await ort.InferenceSession.create(
      await exportOnnx(model, { inputShape: ['batch', ...image] }),
    );
    model.freeze('mean');
    const expected = await model.forward(tensor(imageValues, [batch, ...image])).data();
    const { mean, dims } = await runOnnx(session, imageValues, batch, image);
    expect(dims).toEqual([batch, classes]);
    expect(maxAbsDiff(mean, expected)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('mode sample: predictive mean and std within Monte Carlo error', async () => {
    const model = makeCnn();
    await checkAgainstPredictive(model, false, imageValues, image);
    model.dispose();
  });

  it('mode sample, ending in a conv: the output keeps its image shape', async () => {
    const conv = new Conv2d(2, 3, 3, {
      weightsDistribution: { ...dist, muInit: 0.05 },
      biasDistribution: dist,
      stride: 2,
      rng: 21,
    });
    const model = new Sequential(new Sigmoid(), conv, new MaxPool2d(2));
    await checkAgainstPredictive(model, false, imageValues, image, [3, 2, 2]);
    model.dispose();
  });

  it('mode sample, with the samples unfolded between convolutions (a Flatten that keeps the rank)', async () => {
    const conv = (i: number, o: number, seed: number) =>
      new Conv2d(i, o, 2, {
        weightsDistribution: { ...dist, muInit: 0.05 },
        biasDistribution: dist,
        rng: seed,
      });
    // 9×9 → 8×8 (conv) → 4×4 (pool) → 3×3 (conv) → 27 → Linear.
    const model = new Sequential(
      conv(2, 3, 41),
      new Flatten({ startDim: 1, endDim: 1 }),
      new MaxPool2d(2),
      conv(3, 3, 42),
      new Flatten(),
      linear(27, classes, 43),
    );
    await checkAgainstPredictive(model, false, imageValues, image);
    model.freeze('mean');
    const session = await ort.InferenceSession.create(
      await exportOnnx(model, { inputShape: ['batch', ...image] }),
    );
    const expected = await model.forward(tensor(imageValues, [batch, ...image])).data();
    expect(
      maxAbsDiff((await runOnnx(session, imageValues, batch, image)).mean, expected),
    ).toBeLessThan(1e-5);
    model.dispose();
  });
});

/** A 1-D CNN: Conv1d (padding, groups, dilation, stride), both 1-D pools, Flatten, Linear. */
const sequence = [2, 12];
function makeCnn1d(): Sequential {
  const conv = (i: number, o: number, k: number, seed: number, options = {}) =>
    new Conv1d(i, o, k, {
      weightsDistribution: { ...dist, muInit: 0.05 },
      biasDistribution: dist,
      rng: seed,
      ...options,
    });
  // length 12 → 12 (k3 p1) → 6 (max 2) → 4 (k2 dilation 2, stride 1) → 5 (avg 2, s1, p1)
  return new Sequential(
    conv(2, 4, 3, 31, { padding: 1 }),
    new Tanh(),
    new MaxPool1d(2),
    conv(4, 6, 2, 32, { groups: 2, dilation: 2 }),
    new ReLU(),
    new AvgPool1d(2, { stride: 1, padding: 1 }),
    new Flatten(),
    linear(6 * 5, classes, 33),
  );
}
const sequenceValues = Float32Array.from({ length: batch * 2 * 12 }, (_, i) => Math.sin(i * 0.61));

describe('exportOnnx, 1-D convolutional models', { timeout: 120_000 }, () => {
  it("mode mean: illia-ts's output at the means within 1e-5", async () => {
    const model = makeCnn1d();
    const session = await ort.InferenceSession.create(
      await exportOnnx(model, { inputShape: ['batch', ...sequence] }),
    );
    model.freeze('mean');
    const expected = await model.forward(tensor(sequenceValues, [batch, ...sequence])).data();
    const { mean, dims } = await runOnnx(session, sequenceValues, batch, sequence);
    expect(dims).toEqual([batch, classes]);
    expect(maxAbsDiff(mean, expected)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('mode sample: predictive mean and std within Monte Carlo error', async () => {
    const model = makeCnn1d();
    await checkAgainstPredictive(model, true, sequenceValues, sequence);
    model.dispose();
  });
});

/** Tokens of a vocabulary of `vocabulary`, `[batch, steps]`, deterministic. */
const steps = 6;
const vocabulary = 11;
const tokenValues = Int32Array.from({ length: batch * steps }, (_, i) => (i * 7 + 3) % vocabulary);
const tokenDist = { ...dist, muInit: 0.2, rhoInit: -2.5 };

function makeLstm(options = {}): LSTM {
  return new LSTM(vocabulary, 4, 5, classes, {
    embeddingsDistribution: { ...tokenDist, muInit: 0.5 },
    weightsDistribution: tokenDist,
    biasDistribution: dist,
    paddingIdx: 0,
    rng: 21,
    ...options,
  });
}

/** An Embedding (its rows' norms capped) under a Flatten and a Linear. */
function makeEmbeddingModel(normType: number): Sequential {
  return new Sequential(
    new Embedding(vocabulary, 4, {
      maxNorm: 0.8,
      normType,
      weightsDistribution: { ...tokenDist, muInit: 0.5 },
      rng: 22,
    }),
    new Flatten(),
    linear(steps * 4, classes, 23),
  );
}

describe('exportOnnx, token models (Embedding, LSTM)', { timeout: 120_000 }, () => {
  const tokens = () => tensor(Array.from(tokenValues), [batch, steps], 'int32');

  it("mode mean: an LSTM gives illia-ts's output at the means within 1e-5, from int32 tokens", async () => {
    const model = makeLstm();
    const session = await ort.InferenceSession.create(
      await exportOnnx(model, { inputShape: ['batch', steps] }),
    );
    model.freeze('mean');
    const x = tokens();
    const expected = await model.forward(x).data();
    const { mean, dims } = await runOnnx(session, tokenValues, batch, [steps]);
    expect(dims).toEqual([batch, classes]);
    expect(maxAbsDiff(mean, expected)).toBeLessThan(1e-5);

    // illia's [batch, steps, 1] tokens.
    const illiaShape = await ort.InferenceSession.create(
      await exportOnnx(model, { inputShape: [batch, steps, 1] }),
    );
    const three = await runOnnx(illiaShape, tokenValues, batch, [steps, 1]);
    expect(maxAbsDiff(three.mean, expected)).toBeLessThan(1e-5);
    x.dispose();
    model.dispose();
  });

  it('mode mean: an Embedding with maxNorm (p = 2 and p = 3) within 1e-5', async () => {
    for (const normType of [2, 3]) {
      const model = makeEmbeddingModel(normType);
      const session = await ort.InferenceSession.create(
        await exportOnnx(model, { inputShape: ['batch', steps] }),
      );
      model.freeze('mean');
      const x = tokens();
      const expected = await model.forward(x as unknown as Tensor).data();
      const { mean } = await runOnnx(session, tokenValues, batch, [steps]);
      expect(maxAbsDiff(mean, expected)).toBeLessThan(1e-5);
      x.dispose();
      model.dispose();
    }
  });

  it('mode sample: an LSTM classifier, predictive mean and std within Monte Carlo error', async () => {
    const model = makeLstm();
    await checkAgainstPredictive(model, true, tokenValues, [steps], [classes], 'LSTM');
    model.dispose();
  });

  it('mode sample: an Embedding with maxNorm, predictive mean and std within Monte Carlo error', async () => {
    const model = makeEmbeddingModel(2);
    await checkAgainstPredictive(model, false, tokenValues, [steps], [classes], 'Embedding');
    model.dispose();
  });
});

describe('exportOnnx, arguments', () => {
  const model = makeModel();
  const inputShape = ['batch', inputs];

  it('names an unsupported module and where it is', async () => {
    const embedding = new Embedding(10, 4);
    await expect(
      exportOnnx(new Sequential(new Sequential(new ReLU(), embedding), new Flatten()), {
        inputShape: [1, 3],
      }),
    ).rejects.toThrow(
      /the module at "0.1" \(Embedding\) takes int32 tokens, so it must be the model's first layer/,
    );
    embedding.dispose();
    const lstm = new LSTM(10, 4, 3, 2);
    await expect(exportOnnx(lstm, { inputShape: ['batch', 3, 2] })).rejects.toThrow(
      /the model \(LSTM\) takes \[batch, steps\] or \[batch, steps, 1\] tokens, got \["batch", 3, 2\] \(inputShape\)/,
    );
    lstm.dispose();
    const sigmoid = new Sequential(new Sigmoid(), {
      forward: (x: Tensor) => x,
    } as unknown as Module);
    await expect(exportOnnx(sigmoid, { inputShape })).rejects.toThrow(
      /the module at "1" is a plain object, which ONNX export does not support yet \(supported: Linear, .*Embedding and LSTM \(first\)/,
    );
    const custom = { forward: (x: Tensor) => x, parameters: () => [], dispose: () => {} };
    await expect(exportOnnx(custom, { inputShape })).rejects.toThrow(
      /the model is a plain object, which ONNX export does not support/,
    );
    await expect(exportOnnx(null as unknown as Module, { inputShape })).rejects.toThrow(
      /the model must be a module, got null/,
    );
  });

  it('checks the options, naming each and what it got', async () => {
    const bad: [object, RegExp][] = [
      [{}, /inputShape must be a non-empty array .* got undefined/],
      [{ inputShape: [] }, /inputShape must be a non-empty array .* got \[\]/],
      [
        { inputShape: ['batch', 'features'] },
        /inputShape\[1\] must be a positive integer, got "features"/,
      ],
      [
        { inputShape: [0, inputs] },
        /inputShape\[0\] must be a positive integer or a non-empty string .* got 0/,
      ],
      [
        { inputShape: ['batch', 4] },
        /the module at "0" \(Linear\) takes \[batch, 5\], got \["batch", 4\] \(inputShape\)/,
      ],
      [{ inputShape: ['batch', 1, inputs] }, /takes \[batch, 5\], got \["batch", 1, 5\]/],
      [{ inputShape, mode: 'median' }, /mode must be 'mean' or 'sample', got "median"/],
      [{ inputShape, mode: 'sample', samples: 0 }, /samples must be a positive integer, got 0/],
      [{ inputShape, mode: 'sample', samples: 2.5 }, /samples must be a positive integer, got 2.5/],
      [{ inputShape, activation: 'relu' }, /activation must be 'softmax' or undefined, got "relu"/],
    ];
    for (const [options, message] of bad) {
      await expect(
        exportOnnx(model, options as Parameters<typeof exportOnnx>[1]),
        JSON.stringify(options),
      ).rejects.toThrow(message);
    }
    await expect(exportOnnx(model, undefined as never)).rejects.toThrow(
      /options must be an object with inputShape, got undefined/,
    );
  });
});
