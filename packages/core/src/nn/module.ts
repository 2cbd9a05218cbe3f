import type { AnyTensor, Tensor, Variable } from '../tensor.js';

/** The KL term of a Bayesian module and the number of parameters it covers. */
export interface KlCost {
  readonly kl: Tensor;
  readonly numParams: number;
}

/** How a KL term is computed: illia's one-sample estimate (`mc`) or the closed form (`closed`). */
export type KlMethod = 'mc' | 'closed';

/**
 * A layer or a model: a forward function of tensors, with parameters. `In` is what `forward`
 * takes: a float32 tensor by default; `Tensor<'int32'>` for token models (`Embedding`, `LSTM`);
 * `AnyTensor` for containers (`Sequential`) that pass either on.
 */
export interface Module<In extends AnyTensor = Tensor> {
  /** The output for input `x` (a fresh weight sample for a Bayesian module that is not frozen). */
  forward(x: In): Tensor;
  /** The learnable variables. */
  parameters(): Variable[];
  /** Frees the parameters. */
  dispose(): void;
}

/** A module with weight distributions: its KL cost can be asked for, and it can be frozen. */
export interface BayesianModule<In extends AnyTensor = Tensor> extends Module<In> {
  /**
   * The KL of its distributions from their priors, and how many parameters they have:
   * `mc` scores the weights of the last forward pass (illia's `kl_cost`), `closed` is exact.
   */
  klCost(method?: KlMethod): KlCost;
  /** Stops sampling: keeps the last sample (illia) or, with `'mean'`, uses the means. */
  freeze(at?: 'sample' | 'mean'): void;
  /** Samples fresh weights at every forward pass again. */
  unfreeze(): void;
}

/** Whether a module is Bayesian. */
export function isBayesian<In extends AnyTensor>(module: Module<In>): module is BayesianModule<In> {
  return typeof (module as Partial<BayesianModule<In>>).klCost === 'function';
}

/** The modules inside a module (itself if it has none). */
export function leafModules(module: Module<AnyTensor>): Module<AnyTensor>[] {
  const children = (module as { modules?: readonly Module<AnyTensor>[] }).modules;
  return children ? children.flatMap(leafModules) : [module];
}
