import { add, relu, sigmoid, tanh } from '../ops/index.js';
import { type AnyTensor, type Tensor, tidy, type Variable } from '../tensor.js';
import { describe } from '../validate.js';
import {
  type BayesianModule,
  isBayesian,
  type KlCost,
  type KlMethod,
  leafModules,
  type Module,
} from './module.js';

/**
 * Modules applied one after another. The first may take int32 tokens (an `Embedding`, an
 * `LSTM`); the freezing and KL cost of its Bayesian modules can be asked of it as a whole.
 */
export class Sequential implements BayesianModule<AnyTensor> {
  readonly modules: readonly Module<AnyTensor>[];

  // biome-ignore lint/suspicious/noExplicitAny: a module of any input type (methods are bivariant)
  constructor(...modules: Module<any>[]) {
    modules.forEach((m, i) => {
      if (!m || typeof (m as Module).forward !== 'function') {
        throw new TypeError(
          `Sequential: modules[${i}] must be a module (with forward()), got ${describe(m)}`,
        );
      }
    });
    this.modules = modules;
  }

  /**
   * Each module's output feeds the next; intermediates are freed as soon as the next module has
   * used them (not the input, nor a tensor a module passes through unchanged).
   */
  forward(x: AnyTensor): Tensor {
    let out = x;
    for (const module of this.modules) {
      const next = module.forward(out);
      if (out !== x && out !== next) out.dispose();
      out = next;
    }
    return out as Tensor;
  }

  parameters(): Variable[] {
    return this.modules.flatMap((m) => m.parameters());
  }

  /** The Bayesian modules inside, in order (nested Sequentials flattened). */
  bayesianModules(): BayesianModule<AnyTensor>[] {
    return leafModules(this).filter(isBayesian);
  }

  /** The KL costs of its Bayesian modules, summed, with their total number of weights. */
  klCost(method: KlMethod = 'mc'): KlCost {
    const modules = this.bayesianModules();
    if (modules.length === 0)
      throw new Error('Sequential.klCost: the model has no Bayesian modules');
    let numParams = 0;
    const kl = tidy(() => {
      let total: Tensor | null = null;
      for (const m of modules) {
        const cost = m.klCost(method);
        numParams += cost.numParams;
        total = total ? add(total, cost.kl) : cost.kl;
      }
      return total as Tensor;
    });
    return { kl, numParams };
  }

  /** Freezes every Bayesian module inside (at its last sample, or with `'mean'` at the means). */
  freeze(at: 'sample' | 'mean' = 'sample'): void {
    if (at !== 'sample' && at !== 'mean') {
      throw new RangeError(`Sequential.freeze: at must be 'sample' or 'mean', got ${describe(at)}`);
    }
    for (const m of this.bayesianModules()) m.freeze(at);
  }

  /** Unfreezes every Bayesian module inside. */
  unfreeze(): void {
    for (const m of this.bayesianModules()) m.unfreeze();
  }

  dispose(): void {
    for (const m of this.modules) m.dispose();
  }
}

/** An elementwise activation as a module, without parameters. */
class Activation implements Module {
  readonly #fn: (x: Tensor) => Tensor;
  constructor(fn: (x: Tensor) => Tensor) {
    this.#fn = fn;
  }
  forward(x: Tensor): Tensor {
    return this.#fn(x);
  }
  parameters(): Variable[] {
    return [];
  }
  dispose(): void {}
}

/** `max(x, 0)` as a module. */
export class ReLU extends Activation {
  constructor() {
    super(relu);
  }
}

/** Hyperbolic tangent as a module. */
export class Tanh extends Activation {
  constructor() {
    super(tanh);
  }
}

/** The logistic sigmoid as a module. */
export class Sigmoid extends Activation {
  constructor() {
    super(sigmoid);
  }
}
