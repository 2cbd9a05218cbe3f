/**
 * Reverse-mode automatic differentiation: a tape of the ops run inside {@link valueAndGrad}.
 * Gradient rules live with their ops (`ops/`), written with the same public ops, so every
 * backend gets gradients from its forward kernels alone.
 */
import type { DType } from './backend.js';
import { activeTapes, closeScope, type Disposable, openScope, type TapeLike } from './engine.js';
import { formatShape, sameShape } from './shape.js';
import { type AnyTensor, Tensor } from './tensor.js';
import { describe } from './validate.js';

/**
 * Input gradients of one op from the gradient of its output; `null` where none flows. `needs[i]`
 * says whether input i's gradient is wanted (it depends on a parameter): a rule may skip the rest.
 */
export type Backward = (
  dy: Tensor,
  needs: readonly boolean[],
) => ReadonlyArray<Tensor<DType> | null>;

interface Entry {
  readonly op: string;
  readonly inputs: readonly AnyTensor[];
  readonly output: AnyTensor;
  readonly backward: Backward;
}

class Tape implements TapeLike {
  readonly entries: Entry[] = [];
  /** Tensors that depend on a parameter: only ops on them are recorded. */
  readonly watched = new Set<AnyTensor>();
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
 * Called by every differentiable op after it has made `output`; `op` names it in errors.
 */
export function recordOp(
  inputs: readonly AnyTensor[],
  output: AnyTensor,
  backward: Backward,
  op = 'an op',
): void {
  const tapes = activeTapes();
  const tape = tapes[tapes.length - 1] as Tape | undefined;
  if (!tape || !inputs.some((t) => tape.watched.has(t))) return;
  tape.entries.push({ op, inputs, output, backward });
  tape.watched.add(output);
  for (const t of inputs) tape.saved.add(t);
  tape.saved.add(output);
}

/** Whether an op on `inputs` would be recorded now: a tape is watching one of them. */
export function isRecorded(inputs: readonly AnyTensor[]): boolean {
  return activeTapes().some((tape) => inputs.some((t) => (tape as Tape).watched.has(t)));
}

/**
 * Runs `fn` with no tape recording: an op composed from others (a fallback) records itself once,
 * with its own gradient rule, not its parts.
 */
export function pauseRecording<T>(fn: () => T): T {
  const tapes = activeTapes();
  const paused = tapes.splice(0, tapes.length);
  try {
    return fn();
  } finally {
    tapes.unshift(...paused);
  }
}

/**
 * Runs `f` (which returns a one-element tensor, the loss) and returns it with its gradient
 * with respect to each of `params`. Every other tensor made inside `f` is disposed, as in
 * {@link tidy}; tensors `f` disposes early are kept until the backward pass is done. The value is
 * always a tensor the caller owns (a copy if `f` returned one it did not make).
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
    if (p.dtype !== 'float32') {
      throw new TypeError(`${where}: params[${i}] must be a float32 tensor, got ${p.dtype}`);
    }
  });
  const tape = new Tape();
  for (const p of params) tape.watched.add(p);
  const tapes = activeTapes();
  tapes.push(tape);
  const scope = openScope();
  let value: Tensor | undefined;
  let grads: Tensor[] = [];
  let done = false;
  try {
    const result = f();
    if (!(result instanceof Tensor) || result.size !== 1 || result.dtype !== 'float32') {
      throw new TypeError(
        `${where}: f must return a one-element float32 Tensor (a loss), got ${result instanceof Tensor ? `${result.dtype} shape ${formatShape(result.shape)}` : describe(result)}`,
      );
    }
    tapes.splice(tapes.indexOf(tape), 1);
    grads = backpropagate(tape, result, params);
    // Each gradient is the caller's own tensor: one that backpropagation gave several params (add
    // passes dy to both inputs; a param listed twice) is copied, so disposing one leaves the rest.
    grads = grads.map((g, i) => (grads.indexOf(g) < i ? copyOf(g) : g));
    // The value is the caller's to dispose: a copy when f returned a tensor it did not make (a
    // parameter, or a tensor from outside), which must outlive this call.
    value = scope.has(result) ? result : copyOf(result);
    done = true;
  } finally {
    if (tapes.includes(tape)) tapes.splice(tapes.indexOf(tape), 1);
    // On an error nothing made inside survives.
    const keep = new Set<Disposable>(done && value ? [value, ...grads] : []);
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

/**
 * Walks the tape backwards. Each rule runs in a scope of its own, so its intermediates are freed
 * as soon as it returns, and an output's gradient is freed once its op has used it (unless it is
 * also another slot's gradient, or a parameter's): peak memory is the live gradients, not all.
 */
function backpropagate(tape: Tape, value: Tensor, params: readonly Tensor[]): Tensor[] {
  const grads = new Map<AnyTensor, Tensor>();
  /** How many slots of `grads` hold each gradient tensor (a rule may pass dy through). */
  const holders = new Map<Tensor, number>();
  const hold = (node: AnyTensor, g: Tensor) => {
    grads.set(node, g);
    holders.set(g, (holders.get(g) ?? 0) + 1);
  };
  const isParam = new Set<AnyTensor>(params);
  const release = (node: AnyTensor) => {
    const g = grads.get(node);
    if (g === undefined) return;
    grads.delete(node);
    const left = (holders.get(g) ?? 1) - 1;
    if (left > 0) holders.set(g, left);
    else {
      holders.delete(g);
      g.dispose();
    }
  };
  hold(value, filled(value, 1));
  for (let i = tape.entries.length - 1; i >= 0; i--) {
    const entry = tape.entries[i] as Entry;
    const dy = grads.get(entry.output);
    if (!dy) continue;
    const scope = openScope();
    let inputGrads: ReadonlyArray<AnyTensor | null> = [];
    try {
      inputGrads = entry.backward(
        dy,
        entry.inputs.map((t) => tape.watched.has(t)),
      );
    } finally {
      closeScope(scope, new Set(inputGrads.filter((g): g is AnyTensor => g !== null)));
    }
    entry.inputs.forEach((input, k) => {
      const g = inputGrads[k] as Tensor | null | undefined;
      if (!g || !tape.watched.has(input)) return;
      if (!sameShape(g.shape, input.shape)) {
        throw new Error(
          `${entry.op}: the gradient rule gave input ${k} a gradient of shape ${formatShape(g.shape)}, but the input has shape ${formatShape(input.shape)}`,
        );
      }
      const previous = grads.get(input);
      if (previous) {
        const total = addTensors(previous, g);
        release(input);
        hold(input, total);
      } else hold(input, g);
    });
    // Gradients summed into others and held nowhere.
    for (const g of inputGrads) if (g && g !== dy && !holders.has(g as Tensor)) g.dispose();
    // Its gradient has flowed to its inputs: free it unless a parameter needs it.
    if (!isParam.has(entry.output)) release(entry.output);
  }
  // Gradients of inputs that are not parameters, still held (an input on no path to params).
  return params.map((p) => grads.get(p) ?? filled(p, 0));
}

function filled(like: Tensor, value: number): Tensor {
  return new Tensor(
    like.backend.makeTensor(new Float32Array(like.size).fill(value), like.shape),
    like.backend,
  );
}

/** A new tensor holding `t`'s values, through the backend's reshape kernel. */
function copyOf(t: Tensor): Tensor {
  const reshape = t.backend.kernels.reshape;
  if (reshape === undefined) throw new Error('valueAndGrad: the backend has no reshape kernel');
  return new Tensor(
    reshape([t.handle()], { shape: t.shape }, { shape: t.shape, dtype: 'float32' }) as never,
    t.backend,
  );
}

/** `a + b` of two gradients of one shape, through the backend's add kernel. */
function addTensors(a: Tensor, b: Tensor): Tensor {
  const add = a.backend.kernels.add;
  if (add === undefined) throw new Error('valueAndGrad: the backend has no add kernel');
  return new Tensor(
    add([a.handle(), b.handle()], {}, { shape: a.shape, dtype: 'float32' }) as never,
    a.backend,
  );
}
