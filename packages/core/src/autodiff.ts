/**
 * Reverse-mode automatic differentiation: a tape of the ops run inside {@link valueAndGrad}.
 * Gradient rules live here and in `ops.ts`, once, written with the same public ops, so every
 * backend gets gradients from its forward kernels alone.
 */
import { activeTapes, closeScope, type Disposable, openScope, type TapeLike } from './engine.js';
import { formatShape } from './shape.js';
import { Tensor } from './tensor.js';
import { describe } from './validate.js';

/**
 * Input gradients of one op from the gradient of its output; `null` where none flows. `needs[i]`
 * says whether input i's gradient is wanted (it depends on a parameter): a rule may skip the rest.
 */
export type Backward = (dy: Tensor, needs: readonly boolean[]) => ReadonlyArray<Tensor | null>;

interface Entry {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly backward: Backward;
}

class Tape implements TapeLike {
  readonly entries: Entry[] = [];
  /** Tensors that depend on a parameter: only ops on them are recorded. */
  readonly watched = new Set<Tensor>();
  readonly saved = new Set<Disposable>();
  readonly deferred = new Set<Disposable>();

  saves(t: Disposable): boolean {
    return this.saved.has(t);
  }

  deferDisposal(t: Disposable): void {
    this.deferred.add(t);
  }
}

/**
 * Records an op on the innermost tape if one of its inputs depends on a parameter.
 * Called by every differentiable op after it has made `output`.
 */
export function recordOp(inputs: readonly Tensor[], output: Tensor, backward: Backward): void {
  const tapes = activeTapes();
  const tape = tapes[tapes.length - 1] as Tape | undefined;
  if (!tape || !inputs.some((t) => tape.watched.has(t))) return;
  tape.entries.push({ inputs, output, backward });
  tape.watched.add(output);
  for (const t of inputs) tape.saved.add(t);
  tape.saved.add(output);
}

/**
 * Runs `f` (which returns a one-element tensor, the loss) and returns it with its gradient
 * with respect to each of `params`. Every other tensor made inside `f` is disposed, as in
 * {@link tidy}; tensors `f` disposes early are kept until the backward pass is done.
 */
export function valueAndGrad(
  f: () => Tensor,
  params: readonly Tensor[],
): { value: Tensor; grads: Tensor[] } {
  const where = 'valueAndGrad';
  if (typeof f !== 'function')
    throw new TypeError(`${where}: f must be a function, got ${describe(f)}`);
  if (!Array.isArray(params)) {
    throw new TypeError(`${where}: params must be an array of tensors, got ${describe(params)}`);
  }
  params.forEach((p, i) => {
    if (!(p instanceof Tensor) || p.isDisposed) {
      throw new TypeError(`${where}: params[${i}] must be a live Tensor, got ${describe(p)}`);
    }
  });
  const tape = new Tape();
  for (const p of params) tape.watched.add(p);
  const tapes = activeTapes();
  tapes.push(tape);
  const scope = openScope();
  let value: Tensor | undefined;
  let grads: Tensor[] = [];
  try {
    const result = f();
    if (!(result instanceof Tensor) || result.size !== 1) {
      throw new TypeError(
        `${where}: f must return a one-element Tensor (a loss), got ${result instanceof Tensor ? `shape ${formatShape(result.shape)}` : describe(result)}`,
      );
    }
    value = result;
    tapes.splice(tapes.indexOf(tape), 1);
    grads = backpropagate(tape, value, params);
  } finally {
    if (tapes.includes(tape)) tapes.splice(tapes.indexOf(tape), 1);
    const keep = new Set<Disposable>(value ? [value, ...grads] : []);
    closeScope(scope, keep);
    for (const t of tape.deferred) if (!keep.has(t)) t.dispose();
  }
  return { value, grads };
}

/** The gradients of `f` with respect to `params` (the value is disposed). */
export function grad(f: () => Tensor, params: readonly Tensor[]): Tensor[] {
  const { value, grads } = valueAndGrad(f, params);
  if (!grads.includes(value)) value.dispose();
  return grads;
}

function backpropagate(tape: Tape, value: Tensor, params: readonly Tensor[]): Tensor[] {
  const grads = new Map<Tensor, Tensor>();
  grads.set(value, filled(value, 1));
  for (let i = tape.entries.length - 1; i >= 0; i--) {
    const entry = tape.entries[i] as Entry;
    const dy = grads.get(entry.output);
    if (!dy) continue;
    const inputGrads = entry.backward(
      dy,
      entry.inputs.map((t) => tape.watched.has(t)),
    );
    entry.inputs.forEach((input, k) => {
      const g = inputGrads[k];
      if (!g || !tape.watched.has(input)) return;
      const previous = grads.get(input);
      grads.set(input, previous ? addTensors(previous, g) : g);
    });
  }
  return params.map((p) => grads.get(p) ?? filled(p, 0));
}

function filled(like: Tensor, value: number): Tensor {
  return new Tensor(
    like.backend.makeTensor(new Float32Array(like.size).fill(value), like.shape),
    like.backend,
  );
}

function addTensors(a: Tensor, b: Tensor): Tensor {
  return new Tensor(a.backend.add(a.handle(), b.handle()), a.backend);
}
