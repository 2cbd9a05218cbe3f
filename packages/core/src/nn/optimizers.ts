import {
  type AdamHyperparameters,
  adamUpdate,
  add,
  commonBackend,
  handleOf,
  mul,
  sub,
} from '../ops/index.js';
import { formatShape, sameShape } from '../shape.js';
import { keep, Tensor, tidy, Variable } from '../tensor.js';
import { checkOptions, checkPositive, describe } from '../validate.js';

/**
 * Checks every gradient of a step before any parameter changes (a step is all or nothing): one
 * per parameter, each a live float32 tensor of its parameter's shape and backend.
 */
function checkGrads(where: string, params: readonly Variable[], grads: readonly Tensor[]): void {
  if (!Array.isArray(grads) || grads.length !== params.length) {
    throw new RangeError(
      `${where}: grads must hold one gradient per parameter (${params.length}), got ${Array.isArray(grads) ? grads.length : describe(grads)}`,
    );
  }
  grads.forEach((g, i) => {
    const p = params[i] as Variable;
    const arg = `grads[${i}]`;
    handleOf(where, arg, g);
    handleOf(where, `params[${i}]`, p);
    commonBackend(where, { [`params[${i}]`]: p, [arg]: g });
    if (g.dtype !== 'float32') {
      throw new TypeError(`${where}: ${arg} must be a float32 tensor, got ${g.dtype}`);
    }
    if (!sameShape(g.shape, p.shape)) {
      throw new RangeError(
        `${where}: ${arg} must have its parameter's shape ${formatShape(p.shape)}, got ${formatShape(g.shape)}`,
      );
    }
  });
}

/** A non-empty list of distinct, live variables (learnable parameters). */
function checkParams(where: string, params: unknown): Variable[] {
  if (!Array.isArray(params) || params.length === 0) {
    throw new TypeError(
      `${where}: params must be a non-empty array of variables, got ${describe(params)}`,
    );
  }
  const seen = new Map<unknown, number>();
  params.forEach((p: unknown, i) => {
    if (!(p instanceof Variable)) {
      throw new TypeError(
        `${where}: params[${i}] must be a Variable (a learnable parameter, such as model.parameters() gives), got ${p instanceof Tensor ? 'a plain Tensor' : describe(p)}`,
      );
    }
    handleOf(where, `params[${i}]`, p);
    const first = seen.get(p);
    if (first !== undefined) {
      throw new RangeError(
        `${where}: params[${i}] is the same variable as params[${first}]; list each parameter once`,
      );
    }
    seen.set(p, i);
  });
  return [...params] as Variable[];
}

function checkRate(
  where: string,
  arg: string,
  value: number,
  max = Number.POSITIVE_INFINITY,
): number {
  if (!(typeof value === 'number' && value >= 0 && value < max)) {
    throw new RangeError(
      `${where}: ${arg} must be a number in [0, ${max}), got ${describe(value)}`,
    );
  }
  return value;
}

/** Stochastic gradient descent with momentum: `v ← m·v + g`, `p ← p − lr·v`. */
export class SGD {
  readonly momentum: number;
  #lr: number;
  readonly #params: Variable[];
  readonly #velocity: Array<Tensor | null>;

  constructor(params: readonly Variable[], options: { lr?: number; momentum?: number } = {}) {
    checkOptions('SGD', options);
    this.#params = checkParams('SGD', params);
    this.#lr = checkPositive('SGD', 'lr', options.lr ?? 0.01);
    this.momentum = checkRate('SGD', 'momentum', options.momentum ?? 0, 1);
    this.#velocity = this.#params.map(() => null);
  }

  /** The learning rate; may be changed between steps (a schedule). */
  get lr(): number {
    return this.#lr;
  }

  set lr(value: number) {
    this.#lr = checkPositive('SGD', 'lr', value);
  }

  /** Updates every parameter in place from its gradient (the gradients are not consumed). */
  step(grads: readonly Tensor[]): void {
    checkGrads('SGD.step', this.#params, grads);
    this.#params.forEach((p, i) => {
      const g = grads[i] as Tensor;
      const previous = this.#velocity[i];
      const v =
        this.momentum > 0
          ? keep(previous ? tidy(() => add(mul(previous, this.momentum), g)) : add(g, 0))
          : g;
      if (previous) previous.dispose();
      if (this.momentum > 0) this.#velocity[i] = v;
      p.assign(tidy(() => sub(p, mul(v, this.lr))));
    });
  }

  /** Frees the optimizer's state. */
  dispose(): void {
    for (const v of this.#velocity) v?.dispose();
  }
}

/** Adam (Kingma & Ba 2015), with bias correction. */
export class Adam {
  readonly beta1: number;
  #lr: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly #params: Variable[];
  readonly #m: Tensor[] = [];
  readonly #v: Tensor[] = [];
  #t = 0;

  constructor(
    params: readonly Variable[],
    options: { lr?: number; beta1?: number; beta2?: number; epsilon?: number } = {},
  ) {
    checkOptions('Adam', options);
    this.#params = checkParams('Adam', params);
    this.#lr = checkPositive('Adam', 'lr', options.lr ?? 1e-3);
    this.beta1 = checkRate('Adam', 'beta1', options.beta1 ?? 0.9, 1);
    this.beta2 = checkRate('Adam', 'beta2', options.beta2 ?? 0.999, 1);
    this.epsilon = checkPositive('Adam', 'epsilon', options.epsilon ?? 1e-8);
  }

  /** The learning rate; may be changed between steps (a schedule). */
  get lr(): number {
    return this.#lr;
  }

  set lr(value: number) {
    this.#lr = checkPositive('Adam', 'lr', value);
  }

  /**
   * Updates every parameter in place from its gradient (the gradients are not consumed). Each
   * parameter is one `adamUpdate` op: one kernel call where the backend has it (and optional
   * kernels are on), else 13 elementwise ops; both give the same numbers to float32 rounding.
   */
  step(grads: readonly Tensor[]): void {
    const where = 'Adam.step';
    checkGrads(where, this.#params, grads);
    this.#t += 1;
    const h: AdamHyperparameters = {
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      lr: this.lr,
      c1: 1 - this.beta1 ** this.#t,
      c2: 1 - this.beta2 ** this.#t,
    };
    this.#params.forEach((p, i) => {
      const g = grads[i] as Tensor;
      const m0 = this.#m[i] ?? null;
      const v0 = this.#v[i] ?? null;
      const [param, m, v] = adamUpdate(p, g, m0, v0, h);
      m0?.dispose();
      v0?.dispose();
      this.#m[i] = keep(m);
      this.#v[i] = keep(v);
      p.assign(param);
    });
  }

  /** Frees the optimizer's state. */
  dispose(): void {
    for (const t of [...this.#m, ...this.#v]) t.dispose();
  }
}
