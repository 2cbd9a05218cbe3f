import { relu, sigmoid, tanh } from '../ops/index.js';
import type { Tensor, Variable } from '../tensor.js';
import { describe } from '../validate.js';
import type { Module } from './module.js';

/** Modules applied one after another. */
export class Sequential implements Module {
  readonly modules: readonly Module[];

  constructor(...modules: Module[]) {
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
  forward(x: Tensor): Tensor {
    let out = x;
    for (const module of this.modules) {
      const next = module.forward(out);
      if (out !== x && out !== next) out.dispose();
      out = next;
    }
    return out;
  }

  parameters(): Variable[] {
    return this.modules.flatMap((m) => m.parameters());
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
