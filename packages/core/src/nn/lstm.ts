import { GaussianDistribution, type GaussianDistributionOptions } from '../gaussian.js';
import type { StateLayout } from '../io/state-dict.js';
import { filledOn } from '../ops/define.js';
import { add, concat, matMul, mul, reshape, sigmoid, slice, tanh } from '../ops/index.js';
import { type Generator, toGenerator } from '../random.js';
import { formatShape } from '../shape.js';
import { Tensor, tidy } from '../tensor.js';
import { checkOptions, describe } from '../validate.js';
import { BayesianLayer } from './bayesian-layer.js';
import { checkIndices, Embedding, type EmbeddingOptions } from './embedding.js';

/** Options of {@link LSTM}: its embedding's, and the priors of its weights. */
export interface LSTMOptions extends Omit<EmbeddingOptions, 'weightsDistribution' | 'rng'> {
  /** Prior and initialisation of the embedding's weights. */
  embeddingsDistribution?: Omit<GaussianDistributionOptions, 'rng'>;
  /** Prior and initialisation of every gate's weights and of the head's (`wf wi wc wo wv`). */
  weightsDistribution?: Omit<GaussianDistributionOptions, 'rng'>;
  /** Prior and initialisation of every bias (`bf bi bc bo bv`). */
  biasDistribution?: Omit<GaussianDistributionOptions, 'rng'>;
  /** A seed or `rng(seed)` for initialisation and sampling. Default: the global generator. */
  rng?: Generator | number;
}

/** The state an LSTM carries between steps: hidden `h` and cell `c`, each `[batch, hiddenSize]`. */
export interface LSTMState {
  readonly h: Tensor;
  readonly c: Tensor;
}

const GATES = ['f', 'i', 'o', 'c'] as const;
/** The weights in illia's order. */
const NAMES = ['wf', 'bf', 'wi', 'bi', 'wc', 'bc', 'wo', 'bo', 'wv', 'bv'] as const;

function positiveInteger(where: string, arg: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) {
    throw new (typeof value === 'number' ? RangeError : TypeError)(
      `${where}: ${arg} must be a positive integer, got ${describe(value)}`,
    );
  }
  return value;
}

/**
 * illia's Bayesian LSTM: a Bayesian {@link Embedding} of int32 tokens, then per step
 * `z = concat(x_t, h)`, `f, i, o = sigmoid(z·W{f,i,o}ᵀ + b{f,i,o})`, `c̃ = tanh(z·Wcᵀ + bc)`,
 * `c = f⊙c + i⊙c̃`, `h = o⊙tanh(c)`, and the head `y = h_T·Wvᵀ + bv`. Every weight is drawn once
 * per forward pass, for all steps.
 */
export class LSTM extends BayesianLayer<Tensor<'int32'>> {
  protected get where(): string {
    return 'LSTM';
  }
  readonly numEmbeddings: number;
  readonly embeddingsDim: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly embedding: Embedding;
  readonly wf: GaussianDistribution;
  readonly bf: GaussianDistribution;
  readonly wi: GaussianDistribution;
  readonly bi: GaussianDistribution;
  readonly wc: GaussianDistribution;
  readonly bc: GaussianDistribution;
  readonly wo: GaussianDistribution;
  readonly bo: GaussianDistribution;
  readonly wv: GaussianDistribution;
  readonly bv: GaussianDistribution;

  constructor(
    numEmbeddings: number,
    embeddingsDim: number,
    hiddenSize: number,
    outputSize: number,
    options: LSTMOptions = {},
  ) {
    checkOptions('LSTM', options);
    super();
    const where = 'LSTM';
    this.numEmbeddings = positiveInteger(where, 'numEmbeddings', numEmbeddings);
    this.embeddingsDim = positiveInteger(where, 'embeddingsDim', embeddingsDim);
    this.hiddenSize = positiveInteger(where, 'hiddenSize', hiddenSize);
    this.outputSize = positiveInteger(where, 'outputSize', outputSize);
    const { embeddingsDistribution, weightsDistribution, biasDistribution, ...embedding } = options;
    const rng = toGenerator(where, 'rng', options.rng);
    this.embedding = new Embedding(numEmbeddings, embeddingsDim, {
      ...embedding,
      weightsDistribution: embeddingsDistribution,
      rng,
    });
    const z = embeddingsDim + hiddenSize;
    const w = (shape: number[]) => new GaussianDistribution(shape, { ...weightsDistribution, rng });
    const b = (shape: number[]) => new GaussianDistribution(shape, { ...biasDistribution, rng });
    this.wf = w([hiddenSize, z]);
    this.bf = b([hiddenSize]);
    this.wi = w([hiddenSize, z]);
    this.bi = b([hiddenSize]);
    this.wc = w([hiddenSize, z]);
    this.bc = b([hiddenSize]);
    this.wo = w([hiddenSize, z]);
    this.bo = b([hiddenSize]);
    this.wv = w([outputSize, hiddenSize]);
    this.bv = b([outputSize]);
    this.declareWeights(
      NAMES.map((name) => [name, this[name]] as const),
      [this.embedding],
    );
  }

  /**
   * How state dicts save it, with illia's names: the buffers `wf bf wi bi wc bc wo bo wv bv` (the
   * held sample, or the means before the first pass), then `embedding`, then `wf_distribution` …
   * `bv_distribution`.
   */
  stateLayout(): StateLayout {
    const shapes: Record<string, readonly number[]> = {};
    for (const name of NAMES) shapes[name] = this[name].shape;
    const prior = (d: GaussianDistribution) => ({ muPrior: d.muPrior, stdPrior: d.stdPrior });
    return {
      type: 'LSTM',
      config: {
        numEmbeddings: this.numEmbeddings,
        embeddingsDim: this.embeddingsDim,
        hiddenSize: this.hiddenSize,
        outputSize: this.outputSize,
        weightsDistribution: prior(this.wf),
        biasDistribution: prior(this.bf),
      },
      buffers: {
        shapes,
        read: () => {
          const held = this.heldDraw();
          const values: Record<string, Tensor> = {};
          for (const name of NAMES) values[name] = (held?.[name] as Tensor) ?? this[name].mu;
          return values;
        },
        write: (values) => this.setHeldDraw(values),
      },
      children: [
        ['embedding', this.embedding],
        ...NAMES.map((name) => [`${name}_distribution`, this[name]] as const),
      ],
    };
  }

  /** int32 tokens `[batch, steps]` (or `[batch, steps, 1]`, as illia) → `[batch, outputSize]`. */
  forward(tokens: Tensor<'int32'>): Tensor {
    const { output, h, c } = this.forwardWithState(tokens);
    h.dispose();
    c.dispose();
    return output;
  }

  /**
   * The output and the final state, from `state` (default zeros): illia's `forward`, which
   * returns `(y, (h, c))`.
   */
  forwardWithState(
    tokens: Tensor<'int32'>,
    state?: LSTMState,
  ): { output: Tensor; h: Tensor; c: Tensor } {
    const where = 'LSTM.forwardWithState';
    checkIndices(where, 'tokens', tokens, this.numEmbeddings);
    const s = tokens.shape;
    if (!(s.length === 2 || (s.length === 3 && s[2] === 1))) {
      throw new RangeError(
        `${where}: tokens must have shape [batch, steps] or [batch, steps, 1], got ${formatShape(s)}`,
      );
    }
    const [batch, steps] = s as [number, number];
    const hidden = this.hiddenSize;
    if (state !== undefined) {
      for (const name of ['h', 'c'] as const) {
        const t = (state as Partial<LSTMState> | null)?.[name];
        if (
          !(t instanceof Tensor) ||
          t.dtype !== 'float32' ||
          t.shape.length !== 2 ||
          t.shape[0] !== batch ||
          t.shape[1] !== hidden
        ) {
          throw new RangeError(
            `${where}: state.${name} must be a float32 tensor of shape [${batch}, ${hidden}], got ${t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : describe(t)}`,
          );
        }
      }
    }
    return tidy(() => {
      const x = this.embedding.forward(s.length === 3 ? reshape(tokens, [batch, steps]) : tokens);
      const w = this.drawWeights();
      const e = this.embeddingsDim;
      // The four gates as one [4H, E + H] matrix: the input part of every step in one product.
      const all = concat(
        GATES.map((g) => w[`w${g}`] as Tensor),
        0,
      );
      const bias = concat(
        GATES.map((g) => w[`b${g}`] as Tensor),
        0,
      );
      const wx = slice(all, [0, 0], [4 * hidden, e]);
      const wh = slice(all, [0, e], [4 * hidden, hidden]);
      const xs = reshape(
        add(matMul(reshape(x, [batch * steps, e]), wx, { transposeB: true }), bias),
        [batch, steps, 4 * hidden],
      );
      let h: Tensor | null = state ? state.h : null;
      let c: Tensor | null = state ? state.c : null;
      for (let t = 0; t < steps; t++) {
        const xt = reshape(slice(xs, [0, t, 0], [batch, 1, 4 * hidden]), [batch, 4 * hidden]);
        // With no state yet (zeros), h·Whᵀ and f⊙c are zero: skipped.
        const gates = h ? add(xt, matMul(h, wh, { transposeB: true })) : xt;
        const fio = sigmoid(slice(gates, [0, 0], [batch, 3 * hidden]));
        const candidate = tanh(slice(gates, [0, 3 * hidden], [batch, hidden]));
        const f = slice(fio, [0, 0], [batch, hidden]);
        const i = slice(fio, [0, hidden], [batch, hidden]);
        const o = slice(fio, [0, 2 * hidden], [batch, hidden]);
        const ic = mul(candidate, i);
        c = c ? add(mul(c, f), ic) : ic;
        h = mul(o, tanh(c));
      }
      if (h === null || c === null) {
        // No steps cannot happen (shapes have no zero dimensions); for the type checker.
        h = filledOn(x.backend, [batch, hidden], 0);
        c = filledOn(x.backend, [batch, hidden], 0);
      }
      const output = add(matMul(h, w.wv as Tensor, { transposeB: true }), w.bv as Tensor);
      // A state passed in is the caller's: return copies if no step replaced it.
      return {
        output,
        h: h === state?.h ? add(h, 0) : h,
        c: c === state?.c ? add(c, 0) : c,
      };
    });
  }
}
