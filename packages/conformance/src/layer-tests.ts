/**
 * The Bayesian layers (Conv1d, Conv2d, Embedding, LSTM), the pooling modules and
 * gaussianNllLoss against PyTorch in float64 (`fixtures/layers.json`, written by
 * `fixtures/layers.py`): outputs within 1e-4 of the largest |value| (or of 1), gradients within
 * 1e-3 relative L2. Then the Bayesian contract (weights drawn once per pass, `klCost('mc')`
 * scoring them, freezing), whole-model freezing and KL, and every bad input's error.
 */
import {
  type AnyTensor,
  AvgPool1d,
  AvgPool2d,
  add,
  type BayesianModule,
  Conv1d,
  Conv2d,
  crossEntropyLoss,
  ELBOLoss,
  Embedding,
  Flatten,
  type GaussianDistribution,
  gaussianNllLoss,
  KLDivergenceLoss,
  Linear,
  LSTM,
  loadStateDict,
  MaxPool1d,
  MaxPool2d,
  type Module,
  mul,
  ReLU,
  Sequential,
  stateDict,
  sum,
  type Tensor,
  tensor,
  tidy,
  valueAndGrad,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { type SuiteContext, take } from './context.js';
import fixtureData from './fixtures/layers.json' with { type: 'json' };

interface Entry {
  readonly shape: number[];
  readonly values: number[];
}

interface ConvCase {
  readonly name: string;
  readonly options: Record<string, number | [number, number]>;
  readonly x: Entry;
  readonly weights: Entry;
  readonly bias?: Entry;
  readonly y: Entry;
  readonly dy: Entry;
  readonly dx: Entry;
  readonly dweights: Entry;
  readonly dbias?: Entry;
}

interface EmbeddingCase {
  readonly name: string;
  readonly options: {
    paddingIdx?: number;
    maxNorm?: number;
    normType?: number;
    scaleGradByFreq?: boolean;
  };
  readonly numEmbeddings: number;
  readonly embeddingsDim: number;
  readonly indices: Entry;
  readonly weights: Entry;
  readonly y: Entry;
  readonly dy: Entry;
  readonly dweights: Entry;
}

const GATES = ['wf', 'bf', 'wi', 'bi', 'wc', 'bc', 'wo', 'bo', 'wv', 'bv'] as const;
type Gate = (typeof GATES)[number];

interface LstmCase {
  readonly name: string;
  readonly options: { paddingIdx?: number };
  readonly sizes: [number, number, number, number];
  readonly tokens: Entry;
  readonly embedding: Entry;
  readonly weights: Record<Gate, Entry>;
  readonly y: Entry;
  readonly h: Entry;
  readonly c: Entry;
  readonly dy: Entry;
  readonly dh: Entry;
  readonly dc: Entry;
  readonly dembedding: Entry;
  readonly dweights: Record<Gate, Entry>;
  readonly h0?: Entry;
  readonly c0?: Entry;
  readonly dh0?: Entry;
  readonly dc0?: Entry;
}

interface PoolCase {
  readonly name: string;
  readonly kernel: number | [number, number];
  readonly options: { stride?: number | [number, number]; padding?: number | [number, number] };
  readonly x: Entry;
  readonly y: Entry;
  readonly dy: Entry;
  readonly dx: Entry;
}

interface NllCase {
  readonly name: string;
  readonly full: boolean;
  readonly mean: Entry;
  readonly logVariance: Entry;
  readonly target: Entry;
  readonly loss: number;
  readonly dmean: Entry;
  readonly dlogVariance: Entry;
  readonly dtarget: Entry;
}

const fixtures = fixtureData as unknown as {
  conv1d: ConvCase[];
  conv2d: ConvCase[];
  embedding: EmbeddingCase[];
  lstm: LstmCase[];
  pool: Record<'maxPool1d' | 'avgPool1d' | 'maxPool2d' | 'avgPool2d', PoolCase[]>;
  gaussianNll: NllCase[];
};

/** Forward results: within 1e-4 of the largest |expected| (or of 1 if that is smaller). */
const FORWARD_TOLERANCE = 1e-4;
/** Gradients: within 1e-3 relative L2. */
const GRADIENT_TOLERANCE = 1e-3;

const make = (e: Entry): Tensor => tensor(e.values, e.shape);
const makeInt = (e: Entry): Tensor<'int32'> => tensor(e.values, e.shape, 'int32');

function expectClose(got: ArrayLike<number>, expected: Entry, label: string): void {
  expect(got.length, `${label}: size`).toBe(expected.values.length);
  let worst = 0;
  let scale = 1;
  expected.values.forEach((e, i) => {
    worst = Math.max(worst, Math.abs((got[i] as number) - e));
    scale = Math.max(scale, Math.abs(e));
  });
  expect(worst / scale, `${label}: largest error relative to ${scale}`).toBeLessThan(
    FORWARD_TOLERANCE,
  );
}

function expectGradient(got: ArrayLike<number>, expected: Entry, label: string): void {
  expect(got.length, `${label}: size`).toBe(expected.values.length);
  let diff = 0;
  let norm = 0;
  expected.values.forEach((e, i) => {
    diff += ((got[i] as number) - e) ** 2;
    norm += e * e;
  });
  if (norm === 0) {
    expect(Math.sqrt(diff), `${label}: should be zero`).toBeLessThan(1e-6);
  } else {
    expect(Math.sqrt(diff / norm), `${label}: relative L2 error`).toBeLessThan(GRADIENT_TOLERANCE);
  }
}

/** Sets a distribution's means (the test freezes the layer at its means). */
function setMu(distribution: GaussianDistribution, e: Entry): void {
  distribution.setParameters({ mu: make(e) });
}

/** The gradients of `Σ_k sum(outputs[k] · dys[k])` with respect to `wrt`, read. */
async function gradientsOf(
  outputs: () => Tensor[],
  dys: readonly Tensor[],
  wrt: readonly Tensor[],
): Promise<Float32Array[]> {
  const { value, grads } = valueAndGrad(() => {
    let total: Tensor | null = null;
    outputs().forEach((y, k) => {
      const term = sum(mul(y, dys[k] as Tensor));
      total = total ? add(total, term) : term;
    });
    return total as unknown as Tensor;
  }, wrt);
  value.dispose();
  return Promise.all(grads.map(take));
}

/** Runs a conv case on `layer` (frozen at the fixture's weights) and checks y, dx, dw, db. */
async function checkConv(layer: Conv1d | Conv2d, c: ConvCase): Promise<void> {
  setMu(layer.weights, c.weights);
  if (c.bias && layer.bias) setMu(layer.bias, c.bias);
  layer.freeze('mean');
  const x = make(c.x);
  const dy = make(c.dy);
  expectClose(await take(layer.forward(x)), c.y, 'y');
  const wrt = [x, layer.weights.mu, ...(layer.bias ? [layer.bias.mu] : [])];
  const [dx, dw, db] = await gradientsOf(() => [layer.forward(x)], [dy], wrt);
  expectGradient(dx!, c.dx, 'dx');
  expectGradient(dw!, c.dweights, 'dweights');
  if (c.dbias) expectGradient(db!, c.dbias, 'dbias');
  x.dispose();
  dy.dispose();
  layer.dispose();
}

/** The distributions of an LSTM in the order a forward pass draws them. */
const lstmDistributions = (m: LSTM): GaussianDistribution[] => [
  m.embedding.weights,
  ...GATES.map((g) => m[g]),
];

/** A layer and its distributions in the order a forward pass draws them. */
interface Built<In extends AnyTensor> {
  readonly layer: BayesianModule<In>;
  readonly distributions: GaussianDistribution[];
}

/**
 * A forward pass draws each weight once (an LSTM once for all its steps), and `klCost('mc')`
 * scores that draw: a twin layer (same seed, so the same stream) samples its distributions by
 * hand in the layer's order; the layer's output must equal that of a third layer frozen at those
 * samples, and its KL their log-ratio. A second pass draws again.
 */
async function checkDrawnOnce<In extends AnyTensor>(build: () => Built<In>, x: In): Promise<void> {
  const a = build();
  const twin = build();
  const c = build();
  const y = await take(a.layer.forward(x));
  const kl = (await take(a.layer.klCost('mc').kl))[0]!;
  const samples = twin.distributions.map((d) => d.sample());
  const expectedKl = (
    await take(
      tidy(() =>
        samples
          .map((w, i) => (twin.distributions[i] as GaussianDistribution).logProb(w))
          .reduce((p, q) => add(p, q)),
      ),
    )
  )[0]!;
  expect(Math.abs(kl - expectedKl)).toBeLessThanOrEqual(1e-5 * Math.abs(expectedKl));
  c.distributions.forEach((d, i) => {
    d.setParameters({ mu: samples[i] as Tensor });
  });
  c.layer.freeze('mean');
  const atTheDraw = await take(c.layer.forward(x));
  expectClose(atTheDraw, { shape: [y.length], values: Array.from(y) }, 'output at the same draw');
  const again = await take(a.layer.forward(x));
  expect(Array.from(again)).not.toEqual(Array.from(y));
  for (const built of [a, twin, c]) built.layer.dispose();
}

export function layerTests(_ctx: SuiteContext): void {
  describe('layers against PyTorch (float64)', () => {
    for (const c of fixtures.conv1d) {
      it(`Conv1d: ${c.name}`, async () => {
        const [o, , k] = c.weights.shape as [number, number, number];
        const layer = new Conv1d(c.x.shape[1]!, o, k, {
          ...(c.options as Record<string, number>),
          useBias: c.bias !== undefined,
          rng: 1,
        });
        await checkConv(layer, c);
      });
    }

    for (const c of fixtures.conv2d) {
      it(`Conv2d: ${c.name}`, async () => {
        const [o, , kh, kw] = c.weights.shape as [number, number, number, number];
        const layer = new Conv2d(c.x.shape[1]!, o, [kh, kw], {
          ...c.options,
          useBias: c.bias !== undefined,
          rng: 1,
        });
        await checkConv(layer, c);
      });
    }

    for (const c of fixtures.embedding) {
      it(`Embedding: ${c.name}`, async () => {
        const layer = new Embedding(c.numEmbeddings, c.embeddingsDim, { ...c.options, rng: 1 });
        setMu(layer.weights, c.weights);
        layer.freeze('mean');
        const indices = makeInt(c.indices);
        const dy = make(c.dy);
        expectClose(await take(layer.forward(indices)), c.y, 'y');
        const [dw] = await gradientsOf(() => [layer.forward(indices)], [dy], [layer.weights.mu]);
        expectGradient(dw!, c.dweights, 'dweights');
        indices.dispose();
        dy.dispose();
        layer.dispose();
      });
    }

    for (const c of fixtures.lstm) {
      it(`LSTM: ${c.name}`, async () => {
        const [rows, dim, hidden, out] = c.sizes;
        const layer = new LSTM(rows, dim, hidden, out, { ...c.options, rng: 1 });
        setMu(layer.embedding.weights, c.embedding);
        for (const g of GATES) setMu(layer[g], c.weights[g]);
        layer.freeze('mean');
        const tokens = makeInt(c.tokens);
        const h0 = c.h0 ? make(c.h0) : undefined;
        const c0 = c.c0 ? make(c.c0) : undefined;
        const state = h0 && c0 ? { h: h0, c: c0 } : undefined;
        const run = () => {
          const r = layer.forwardWithState(tokens, state);
          return [r.output, r.h, r.c];
        };
        const [y, h, cc] = tidy(run);
        expectClose(await take(y!), c.y, 'y');
        expectClose(await take(h!), c.h, 'h');
        expectClose(await take(cc!), c.c, 'c');
        if (!state) {
          expectClose(await take(layer.forward(tokens)), c.y, 'forward(tokens)');
        }
        const dys = [make(c.dy), make(c.dh), make(c.dc)];
        const wrt = [
          layer.embedding.weights.mu,
          ...GATES.map((g) => layer[g].mu),
          ...(state ? [state.h, state.c] : []),
        ];
        const grads = await gradientsOf(run, dys, wrt);
        expectGradient(grads[0]!, c.dembedding, 'dembedding');
        GATES.forEach((g, i) => {
          expectGradient(grads[i + 1]!, c.dweights[g], `d${g}`);
        });
        if (state) {
          expectGradient(grads[11]!, c.dh0!, 'dh0');
          expectGradient(grads[12]!, c.dc0!, 'dc0');
        }
        for (const t of [tokens, ...dys, h0, c0]) t?.dispose();
        layer.dispose();
      });
    }

    const pools = {
      maxPool1d: (c: PoolCase) =>
        new MaxPool1d(c.kernel as number, c.options as { stride?: number; padding?: number }),
      avgPool1d: (c: PoolCase) =>
        new AvgPool1d(c.kernel as number, c.options as { stride?: number; padding?: number }),
      maxPool2d: (c: PoolCase) => new MaxPool2d(c.kernel, c.options),
      avgPool2d: (c: PoolCase) => new AvgPool2d(c.kernel, c.options),
    };
    for (const [kind, cases] of Object.entries(fixtures.pool)) {
      for (const c of cases) {
        it(`${kind}: ${c.name}`, async () => {
          const pool = pools[kind as keyof typeof pools](c);
          const x = make(c.x);
          const dy = make(c.dy);
          expectClose(await take(pool.forward(x)), c.y, 'y');
          const [dx] = await gradientsOf(() => [pool.forward(x)], [dy], [x]);
          expectGradient(dx!, c.dx, 'dx');
          x.dispose();
          dy.dispose();
        });
      }
    }

    for (const c of fixtures.gaussianNll) {
      it(`gaussianNllLoss: ${c.name}`, async () => {
        const m = make(c.mean);
        const lv = make(c.logVariance);
        const t = make(c.target);
        const loss = await take(gaussianNllLoss(m, lv, t, { full: c.full }));
        expectClose(loss, { shape: [], values: [c.loss] }, 'loss');
        const { value, grads } = valueAndGrad(
          () => gaussianNllLoss(m, lv, t, { full: c.full }),
          [m, lv, t],
        );
        value.dispose();
        const [dm, dlv, dt] = await Promise.all(grads.map(take));
        expectGradient(dm!, c.dmean, 'dmean');
        expectGradient(dlv!, c.dlogVariance, 'dlogVariance');
        expectGradient(dt!, c.dtarget, 'dtarget');
        for (const x of [m, lv, t]) x.dispose();
      });
    }
  });

  describe('layers: the Bayesian contract', () => {
    it('each layer draws its weights once per pass, and klCost("mc") scores that draw', async () => {
      const x1 = tensor(
        Array.from({ length: 2 * 3 * 8 }, (_, i) => Math.sin(i)),
        [2, 3, 8],
      );
      await checkDrawnOnce(() => {
        const layer = new Conv1d(3, 4, 3, { padding: 1, rng: 21 });
        return { layer, distributions: [layer.weights, layer.bias!] };
      }, x1);
      x1.dispose();
      const x2 = tensor(
        Array.from({ length: 2 * 2 * 6 * 5 }, (_, i) => Math.cos(i)),
        [2, 2, 6, 5],
      );
      await checkDrawnOnce(() => {
        const layer = new Conv2d(2, 3, 3, { stride: 2, rng: 22 });
        return { layer, distributions: [layer.weights, layer.bias!] };
      }, x2);
      x2.dispose();
      const tokens = tensor([1, 4, 0, 2, 2, 3, 4, 1], [2, 4], 'int32');
      await checkDrawnOnce(() => {
        const layer = new Embedding(5, 3, { paddingIdx: 0, rng: 23 });
        return { layer, distributions: [layer.weights] };
      }, tokens);
      await checkDrawnOnce(() => {
        const layer = new LSTM(5, 3, 4, 2, { rng: 24 });
        return { layer, distributions: lstmDistributions(layer) };
      }, tokens);
      tokens.dispose();
    });

    it("freeze() keeps the last draw, freeze('mean') the means, unfreeze() samples again", async () => {
      const layer = new Conv2d(1, 2, 2, { rng: 5 });
      const x = tensor([0.5, -1, 2, 0.25, 1, 1.5, -0.5, 0, 3], [1, 1, 3, 3]);
      const first = await take(layer.forward(x));
      layer.freeze();
      expect(layer.frozen).toBe(true);
      expect(Array.from(await take(layer.forward(x)))).toEqual(Array.from(first));
      layer.freeze('mean');
      const atMean = await take(layer.forward(x));
      expect(Array.from(await take(layer.forward(x)))).toEqual(Array.from(atMean));
      expect(Array.from(atMean)).not.toEqual(Array.from(first));
      layer.unfreeze();
      expect(layer.frozen).toBe(false);
      expect(Array.from(await take(layer.forward(x)))).not.toEqual(Array.from(first));
      x.dispose();
      layer.dispose();
    });

    it('an LSTM freezes, unfreezes and costs its embedding with it', async () => {
      const lstm = new LSTM(6, 2, 3, 2, { rng: 6 });
      const tokens = tensor([1, 2, 3, 5, 0, 4], [2, 3, 1], 'int32');
      const y = await take(lstm.forward(tokens));
      const { kl, numParams } = lstm.klCost('mc');
      kl.dispose();
      expect(numParams).toBe(6 * 2 + 4 * (3 * 5 + 3) + 2 * 3 + 2);
      lstm.freeze();
      expect(lstm.embedding.frozen).toBe(true);
      expect(Array.from(await take(lstm.forward(tokens)))).toEqual(Array.from(y));
      const closed = lstm.klCost('closed');
      const parts = tidy(() =>
        [lstm.embedding.weights, ...GATES.map((g) => lstm[g])]
          .map((d) => d.klDivergence())
          .reduce((p, q) => add(p, q)),
      );
      const [got, want] = [(await take(closed.kl))[0]!, (await take(parts))[0]!];
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want));
      lstm.unfreeze();
      expect(lstm.embedding.frozen).toBe(false);
      expect(lstm.parameters().length).toBe(2 * 11);
      tokens.dispose();
      lstm.dispose();
    });

    it('a Sequential CNN: freeze/unfreeze/klCost over the whole model, and KLDivergenceLoss', async () => {
      const model = new Sequential(
        new Conv2d(1, 2, 3, { padding: 1, rng: 1 }),
        new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(2 * 2 * 2, 3, { rng: 2 }),
      );
      const x = tensor(
        Array.from({ length: 2 * 16 }, (_, i) => (i % 5) - 2),
        [2, 1, 4, 4],
      );
      const y = await take(model.forward(x));
      expect(y.length).toBe(2 * 3);
      const cost = model.klCost('mc');
      const conv = model.modules[0] as Conv2d;
      const linear = model.modules[4] as Linear;
      expect(cost.numParams).toBe(2 * 9 + 2 + 3 * 8 + 3);
      const parts = tidy(() => add(conv.klCost('mc').kl, linear.klCost('mc').kl));
      const [whole, sumOfParts] = [(await take(cost.kl))[0]!, (await take(parts))[0]!];
      expect(Math.abs(whole - sumOfParts)).toBeLessThanOrEqual(1e-5 * Math.abs(sumOfParts));
      const loss = (await take(tidy(() => new KLDivergenceLoss().call(model))))[0]!;
      expect(Math.abs(loss - whole / cost.numParams)).toBeLessThanOrEqual(1e-5 * Math.abs(loss));
      model.freeze('mean');
      expect(conv.frozen && linear.frozen).toBe(true);
      const a = await take(model.forward(x));
      expect(Array.from(await take(model.forward(x)))).toEqual(Array.from(a));
      model.unfreeze();
      expect(conv.frozen || linear.frozen).toBe(false);
      expect(() => new Sequential(new ReLU()).klCost()).toThrow(/no Bayesian modules/);
      x.dispose();
      model.dispose();
    });

    it('ELBOLoss trains a token model: int32 tokens in, int32 labels to crossEntropyLoss', async () => {
      const model = new Sequential(new LSTM(5, 2, 3, 2, { rng: 7 }));
      const tokens = tensor([1, 2, 3, 4, 4, 3, 2, 1], [2, 4], 'int32');
      const labels = tensor([0, 1], [2], 'int32');
      const elbo = new ELBOLoss(crossEntropyLoss, { numSamples: 2 });
      const { value, grads } = valueAndGrad(
        () => elbo.call(model, tokens, labels),
        model.parameters(),
      );
      expect(Number.isFinite((await take(value))[0])).toBe(true);
      expect(grads.length).toBe(2 * 11);
      const norms = await Promise.all(grads.map(take));
      // Every distribution's mu gets a gradient from the data, rho at least from the KL.
      expect(norms.every((g) => g.some((v) => v !== 0))).toBe(true);
      for (const t of [tokens, labels]) t.dispose();
      model.dispose();
    });

    it('Embedding: the padding row gets no gradient from the data; its output is its weights', async () => {
      const layer = new Embedding(4, 2, { paddingIdx: 3, rng: 9 });
      const indices = tensor([3, 1, 3], [3], 'int32');
      const { value, grads } = valueAndGrad(() => sum(layer.forward(indices)), [layer.weights.mu]);
      value.dispose();
      const g = await take(grads[0]!);
      expect(Array.from(g)).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
      layer.freeze('mean');
      const out = await take(layer.forward(indices));
      const mu = await layer.weights.mu.data();
      expect(Array.from(out.subarray(0, 2))).toEqual(Array.from(mu.subarray(6, 8)));
      indices.dispose();
      layer.dispose();
    });
    it("state dicts hold the layers under illia's names; a loaded layer, frozen, repeats the saved pass", async () => {
      const distributionKeys = (prefix: string) =>
        ['mu', 'rho', 'mu_prior', 'std_prior'].map((k) => `${prefix}.${k}`);
      const x = tensor(
        Array.from({ length: 2 * 2 * 5 * 5 }, (_, i) => Math.sin(i)),
        [2, 2, 5, 5],
      );
      const tokens = tensor([1, 4, 0, 2, 2, 3, 4, 1], [2, 4], 'int32');
      const cases: [() => Module<AnyTensor>, AnyTensor, string[]][] = [
        [
          () => new Conv2d(2, 3, 3, { rng: 31 }),
          x,
          [
            'weights',
            'bias',
            ...distributionKeys('weights_distribution'),
            ...distributionKeys('bias_distribution'),
          ],
        ],
        [
          () => new Embedding(5, 3, { rng: 32 }),
          tokens,
          ['weights', ...distributionKeys('weights_distribution')],
        ],
        [
          () => new LSTM(5, 2, 3, 2, { rng: 33 }),
          tokens,
          [
            ...GATES,
            'embedding.weights',
            ...distributionKeys('embedding.weights_distribution'),
            ...GATES.flatMap((g) => distributionKeys(`${g}_distribution`)),
          ],
        ],
      ];
      for (const [build, input, keys] of cases) {
        const saved = build();
        const y = await take(saved.forward(input));
        const dict = stateDict(saved);
        expect(Object.keys(dict)).toEqual(keys);
        const loaded = build();
        await loadStateDict(loaded, dict);
        (loaded as unknown as BayesianModule<AnyTensor>).freeze();
        expectClose(
          await take(loaded.forward(input)),
          { shape: [y.length], values: Array.from(y) },
          'loaded',
        );
        for (const t of Object.values(dict)) t.dispose();
        saved.dispose();
        loaded.dispose();
      }
      x.dispose();
      tokens.dispose();
    });
  });

  describe('layers: bad input is an error naming the argument', () => {
    it('groups that do not divide the channels', () => {
      expect(() => new Conv2d(4, 6, 3, { groups: 3 })).toThrow(
        /Conv2d: groups \(3\) must divide inputChannels \(4\) and outputChannels \(6\)/,
      );
      expect(() => new Conv1d(6, 4, 3, { groups: 3 })).toThrow(
        /Conv1d: groups \(3\) must divide inputChannels \(6\) and outputChannels \(4\)/,
      );
    });

    it('a kernel larger than the padded input', () => {
      const conv2 = new Conv2d(1, 2, 5, { padding: 1, rng: 1 });
      const x = tensor(new Float32Array(2 * 8), [1, 1, 2, 8]);
      expect(() => conv2.forward(x)).toThrow(
        /Conv2d.forward: the kernel \(5×5, dilation 1×1, spanning 5×5\) is larger than x \[1, 1, 2, 8\] padded by 1×1/,
      );
      const conv1 = new Conv1d(1, 1, 3, { dilation: 4, rng: 1 });
      const x1 = tensor(new Float32Array(8), [1, 1, 8]);
      expect(() => conv1.forward(x1)).toThrow(
        /Conv1d.forward: the kernel \(3, dilation 4, spanning 9\) is larger than x \[1, 1, 8\] padded by 0/,
      );
      for (const t of [x, x1, conv1, conv2]) t.dispose();
    });

    it('the wrong channel count or rank', () => {
      const conv = new Conv2d(3, 2, 3, { rng: 1 });
      const x = tensor(new Float32Array(2 * 16), [1, 2, 4, 4]);
      expect(() => conv.forward(x)).toThrow(
        /Conv2d.forward: x must have shape \[batch, 3, height, width\] \(3 input channels\), got \[1, 2, 4, 4\]/,
      );
      const conv1 = new Conv1d(2, 2, 3, { rng: 1 });
      const x3 = tensor(new Float32Array(2 * 16), [2, 4, 4]);
      expect(() => conv1.forward(x3)).toThrow(
        /Conv1d.forward: x must have shape \[batch, 2, length\] \(2 input channels\), got \[2, 4, 4\]/,
      );
      for (const t of [x, x3, conv, conv1]) t.dispose();
    });

    it('indices out of range or not integers', () => {
      const embedding = new Embedding(5, 2, { rng: 1 });
      const lstm = new LSTM(5, 2, 2, 1, { rng: 1 });
      const high = tensor([0, 5], [1, 2], 'int32');
      const negative = tensor([-1, 2], [1, 2], 'int32');
      const floats = tensor([0, 1.5], [1, 2]);
      expect(() => embedding.forward(high)).toThrow(
        /Embedding.forward: indices must be in \[0, 5\), got values in \[0, 5\]/,
      );
      expect(() => embedding.forward(negative)).toThrow(
        /Embedding.forward: indices must be in \[0, 5\), got values in \[-1, 2\]/,
      );
      expect(() => embedding.forward(floats as unknown as Tensor<'int32'>)).toThrow(
        /Embedding.forward: indices must be an int32 tensor \(integer indices\), got float32/,
      );
      expect(() => lstm.forward(high)).toThrow(
        /LSTM.forwardWithState: tokens must be in \[0, 5\), got values in \[0, 5\]/,
      );
      expect(() => lstm.forward(floats as unknown as Tensor<'int32'>)).toThrow(
        /LSTM.forwardWithState: tokens must be an int32 tensor/,
      );
      const flat = tensor([0, 1, 2], [3], 'int32');
      expect(() => lstm.forward(flat)).toThrow(
        /LSTM.forwardWithState: tokens must have shape \[batch, steps\] or \[batch, steps, 1\], got \[3\]/,
      );
      expect(() => new Embedding(5, 2, { paddingIdx: 5 })).toThrow(
        /Embedding: paddingIdx must be an integer in \[-5, 5\), got 5/,
      );
      expect(() => new Embedding(5, 2, { maxNorm: -1 })).toThrow(
        /Embedding: maxNorm must be a finite number > 0, got -1/,
      );
      for (const t of [high, negative, floats, flat, embedding, lstm]) t.dispose();
    });

    it('bad sizes and options', () => {
      expect(() => new Conv2d(0, 2, 3)).toThrow(
        /Conv2d: inputChannels must be a positive integer, got 0/,
      );
      expect(() => new Conv2d(1, 2, [3, 0])).toThrow(
        /Conv2d: kernelSize must be an integer ≥ 1 or a pair of them/,
      );
      expect(() => new Conv1d(1, 2, 3, { padding: -1 })).toThrow(
        /Conv1d: padding must be an integer ≥ 0, got -1/,
      );
      expect(() => new MaxPool2d(2, { padding: 2 })).toThrow(
        /MaxPool2d: padding must be at most half the kernel/,
      );
      expect(() => new LSTM(5, 2, 0, 1)).toThrow(
        /LSTM: hiddenSize must be a positive integer, got 0/,
      );
      const m = tensor([1, 2], [1, 2]);
      const lv = tensor([0, 0, 0], [1, 3]);
      expect(() => gaussianNllLoss(m, lv, m)).toThrow(
        /gaussianNllLoss: logVariance must have the shape of mean \[1, 2\] or broadcast to it, got \[1, 3\]/,
      );
      m.dispose();
      lv.dispose();
    });
  });
}
