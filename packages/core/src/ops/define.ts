/**
 * How an op is defined: once, here in core, with everything about it in one place. A definition
 * gives the argument checks, the output's shape and dtype, the gradient rule, a float64 reference,
 * and the cases and bad inputs the conformance suite tests on every backend. A backend supplies
 * only the kernel (`backend.kernels[name]`), called with the output shape already computed.
 * An op with a `fallback` (composed from other ops) has an optional kernel; any other op's kernel
 * is required, and a backend without it is refused at `setBackend`.
 */
import { type Backward, pauseRecording, recordOp } from '../autodiff.js';
import {
  type Backend,
  type BackendTensor,
  DEFAULT_MAX_ELEMENTS,
  type DType,
  type KernelOutput,
} from '../backend.js';
import { backendName, getBackend } from '../engine.js';
import { debugEnabled, firstNonFinite, fusedKernelsEnabled } from '../flags.js';
import { formatShape, sameShape } from '../shape.js';
import { type AnyTensor, Tensor, tidy } from '../tensor.js';
import { describe } from '../validate.js';
import { registerOp } from './registry.js';

/** One input of an op: its name (for errors) and the dtype it takes (`any`: either). */
export interface InputSpec {
  readonly name: string;
  readonly dtype: DType | 'any';
  /** May be left out (trailing inputs only). */
  readonly optional?: boolean;
}

/** A float64 copy of a tensor, for references. */
export interface RefTensor {
  readonly values: Float64Array;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** What a gradient rule gets. */
export interface GradientContext<A> {
  readonly inputs: readonly AnyTensor[];
  /** The op's output (the first, for ops with several). */
  readonly output: AnyTensor;
  readonly attrs: A;
  /** The gradient of the loss with respect to the output. */
  readonly dy: AnyTensor;
  /** Whether each input's gradient is wanted; a rule may return null for the others. */
  readonly needs: readonly boolean[];
}

/** An input of a conformance case: its shape and dtype, and its values unless generated. */
export interface CaseInput {
  readonly shape: readonly number[];
  readonly dtype?: DType;
  /** Default: deterministic float values in ±[0.3, 1.3] (away from zero and from each other). */
  readonly values?: readonly number[];
}

/** A conformance case: the op run on these inputs and options, against the float64 reference. */
export interface OpCase {
  readonly name: string;
  readonly inputs: readonly CaseInput[];
  readonly options?: unknown;
  /** Whether to check gradients against central differences (default: when the op has a rule). */
  readonly gradient?: boolean;
}

/** A bad input and the error it must give (before any backend work: nothing may leak). */
export interface ErrorCase {
  readonly name: string;
  /** Inputs as in {@link OpCase}; a non-object entry is passed as is (a wrong type). */
  readonly inputs: readonly (CaseInput | unknown)[];
  readonly options?: unknown;
  readonly throws: RegExp;
}

/**
 * How far a float32 result may be from the float64 reference: `roundings · epsilon · scale` per
 * element, where scale is `|reference|` (`output`, right for one correctly rounded operation or a
 * few), or the reference evaluated on `|inputs|` (`abs-inputs`: Σ|terms| for ops that sum
 * products, the quantity in Higham's bound γ_n·Σ|terms| on a sum of n terms).
 */
export interface Tolerance<A> {
  readonly roundings: number | ((inputs: readonly RefTensor[], attrs: A) => number);
  /**
   * The same for input gradients, relative to `Σ_o |dy_o · ∂y_o/∂x_i|` (the terms the backward
   * pass sums for input element i); default: the largest input or output size plus `roundings`,
   * Higham's n for the longest sum a gradient can be.
   */
  readonly gradientRoundings?: number | ((inputs: readonly RefTensor[], attrs: A) => number);
  /** Or a function giving the scale of each output element. */
  readonly scale:
    | 'output'
    | 'abs-inputs'
    | ((inputs: readonly RefTensor[], attrs: A) => Float64Array);
}

/** An int32 tensor's known value range, carried so index checks need no read. */
export type ValueRange = readonly [number, number];

/** Everything about one op. `A` is its normalised attributes: what the kernel gets. */
// biome-ignore lint/suspicious/noExplicitAny: definitions of different attribute types in one list
export interface OpDefinition<A = any> {
  readonly name: string;
  /** The family it is filed under (`ops/<family>/`), for the kernel tables. */
  readonly family: string;
  /** One line: what it computes. */
  readonly summary: string;
  /** Fixed inputs, or one list of tensors (`variadic`, at least `min`). */
  readonly inputs: readonly InputSpec[] | { readonly variadic: InputSpec; readonly min: number };
  /** Checks and normalises the options (inputs are live tensors of the right dtypes). */
  readonly attrs?: (options: unknown, inputs: readonly AnyTensor[]) => A;
  /** Checks the shapes and gives the output's shape and dtype (an array for several outputs). */
  readonly output: (
    inputs: readonly AnyTensor[],
    attrs: A,
  ) => KernelOutput | readonly KernelOutput[];
  /** Input gradients from the output's; absent for ops with no gradient. */
  readonly gradient?: (ctx: GradientContext<A>) => ReadonlyArray<AnyTensor | null>;
  /** The same op composed from others; makes the kernel optional. */
  readonly fallback?: (inputs: readonly AnyTensor[], attrs: A) => AnyTensor | readonly AnyTensor[];
  /** The output in float64 (the first output, for ops with several). */
  readonly reference?: (inputs: readonly RefTensor[], attrs: A) => Float64Array;
  /** For int32 outputs: the value range, from the inputs' (undefined: unknown). */
  readonly valueRange?: (
    ranges: readonly (ValueRange | undefined)[],
    attrs: A,
  ) => ValueRange | undefined;
  readonly tolerance?: Tolerance<A>;
  readonly cases?: readonly OpCase[];
  readonly errors?: readonly ErrorCase[];
}

/** A defined op: its definition and how to run it. */
export interface Op<A> {
  readonly def: OpDefinition<A>;
  /** Runs the op on tensors with raw options (what the public function forwards). */
  run(inputs: readonly AnyTensor[], options?: unknown): AnyTensor;
  /** The same for ops with several outputs. */
  runMulti(inputs: readonly AnyTensor[], options?: unknown): AnyTensor[];
  /** An op without inputs (a creation op) on `backend` rather than the current one. */
  runOn(backend: Backend, options?: unknown): AnyTensor;
}

/** Defines (and registers) an op. */
export function defineOp<A = Record<string, never>>(def: OpDefinition<A>): Op<A> {
  const op: Op<A> = {
    def,
    run: (inputs, options) => {
      const out = execute(def, inputs, options);
      return out[0] as AnyTensor;
    },
    runMulti: (inputs, options) => execute(def, inputs, options),
    runOn: (backend, options) => execute(def, [], options, backend)[0] as AnyTensor,
  };
  registerOp(op as Op<unknown>);
  return op;
}

/** Checks that `value` is a live tensor and returns its handle. */
export function handleOf(where: string, arg: string, value: unknown): BackendTensor {
  if (!(value instanceof Tensor)) {
    throw new TypeError(`${where}: ${arg} must be a Tensor, got ${describe(value)}`);
  }
  if (value.isDisposed) {
    throw new Error(
      `${where}: ${arg} (shape ${formatShape(value.shape)}) was used after dispose()`,
    );
  }
  return value.handle(where);
}

/** Checks that every tensor lives on one backend and returns it. */
export function commonBackend(where: string, args: Readonly<Record<string, AnyTensor>>): Backend {
  let first: [string, Backend] | null = null;
  for (const [arg, t] of Object.entries(args)) {
    if (first === null) first = [arg, t.backend];
    else if (t.backend !== first[1]) {
      throw new TypeError(
        `${where}: ${arg} lives on backend '${backendName(t.backend)}' but ${first[0]} on '${backendName(first[1])}'; make both on one backend`,
      );
    }
  }
  return first?.[1] ?? getBackend();
}

/** The names of the inputs, for errors: fixed names, or `tensors[i]`. */
function inputNames(def: OpDefinition, count: number): { names: string[]; specs: InputSpec[] } {
  const spec = def.inputs;
  if ('variadic' in spec) {
    const v = spec.variadic;
    return {
      names: Array.from({ length: count }, (_, i) => `${v.name}[${i}]`),
      specs: Array.from({ length: count }, () => v),
    };
  }
  return { names: spec.map((s) => s.name), specs: [...spec] };
}

/** Checks the inputs: count, live tensors, dtypes, one backend. */
function checkInputs(def: OpDefinition, inputs: readonly AnyTensor[]): Backend {
  const where = def.name;
  const spec = def.inputs;
  if ('variadic' in spec) {
    if (!Array.isArray(inputs)) {
      throw new TypeError(
        `${where}: ${spec.variadic.name} must be an array of tensors, got ${describe(inputs)}`,
      );
    }
    if (inputs.length < spec.min) {
      throw new RangeError(
        `${where}: ${spec.variadic.name} must hold at least ${spec.min} tensor${spec.min === 1 ? '' : 's'}, got ${inputs.length}`,
      );
    }
  }
  if (!('variadic' in spec)) {
    const least = spec.filter((s) => !s.optional).length;
    if (!Array.isArray(inputs) || inputs.length < least || inputs.length > spec.length) {
      throw new RangeError(
        `${where}: takes ${least === spec.length ? least : `${least} to ${spec.length}`} tensors (${spec.map((s) => s.name).join(', ')}), got ${Array.isArray(inputs) ? inputs.length : describe(inputs)}`,
      );
    }
  }
  const { names, specs } = inputNames(def, inputs.length);
  const args: Record<string, AnyTensor> = {};
  inputs.forEach((t, i) => {
    const name = names[i] as string;
    handleOf(where, name, t);
    const dtype = (specs[i] as InputSpec).dtype;
    if (dtype !== 'any' && t.dtype !== dtype) {
      throw new TypeError(
        `${where}: ${name} must be ${dtype === 'int32' ? 'an' : 'a'} ${dtype} tensor, got ${t.dtype}`,
      );
    }
    args[name] = t;
  });
  return commonBackend(where, args);
}

function execute<A>(
  def: OpDefinition<A>,
  inputs: readonly AnyTensor[],
  options: unknown,
  on?: Backend,
): AnyTensor[] {
  // A creation op runs on the backend asked for (its caller's inputs'), else the current one.
  const backend =
    inputs.length === 0 && on !== undefined ? on : checkInputs(def as OpDefinition, inputs);
  const attrs = def.attrs ? def.attrs(options, inputs) : ({} as A);
  const spec = def.output(inputs, attrs);
  const specs: readonly KernelOutput[] = Array.isArray(spec) ? spec : [spec as KernelOutput];
  checkSize(def.name, backend, specs);
  const kernel = backend.kernels[def.name];
  let outputs: AnyTensor[];
  if (kernel !== undefined && (def.fallback === undefined || fusedKernelsEnabled())) {
    const handles = kernel(
      inputs.map((t) => t.handle(def.name)),
      attrs,
      spec as KernelOutput,
    );
    const list: readonly BackendTensor[] = Array.isArray(handles)
      ? handles
      : [handles as BackendTensor];
    outputs = list.map((h, i) => {
      const expected = specs[i] as KernelOutput;
      if (!sameShape(h.shape, expected.shape) || h.dtype !== expected.dtype) {
        // A backend bug, not a user error: say whose.
        throw new Error(
          `${def.name}: backend '${backendName(backend)}' returned a ${h.dtype} tensor of shape ${formatShape(h.shape)}, expected ${expected.dtype} ${formatShape(expected.shape)}`,
        );
      }
      return new Tensor(h, backend);
    });
  } else if (def.fallback !== undefined) {
    const fallback = def.fallback;
    const made = pauseRecording(() =>
      tidy(() => fallback(inputs, attrs) as AnyTensor | AnyTensor[]),
    );
    outputs = Array.isArray(made) ? made : [made];
  } else {
    throw new Error(
      `${def.name}: backend '${backendName(backend)}' has no '${def.name}' kernel (it is required)`,
    );
  }
  if (debugEnabled()) checkFinite(def.name, inputs, outputs);
  const ranges = inputs.map((t) => t.valueRange);
  if (def.valueRange) {
    const range = def.valueRange(ranges, attrs);
    for (const out of outputs) if (out.dtype === 'int32') out.valueRange = range;
  }
  const rule = def.gradient;
  const first = outputs[0] as AnyTensor;
  if (rule !== undefined) {
    const backward: Backward = (dy, needs) => rule({ inputs, output: first, attrs, dy, needs });
    recordOp(inputs, first, backward, def.name);
  }
  return outputs;
}

/** Refuses outputs larger than the backend holds, before anything is allocated. */
function checkSize(op: string, backend: Backend, specs: readonly KernelOutput[]): void {
  const limit = backend.maxElements ?? DEFAULT_MAX_ELEMENTS;
  for (const { shape } of specs) {
    let size = 1;
    for (const d of shape) size *= d;
    if (size > limit) {
      throw new RangeError(
        `${op}: the output ${formatShape(shape)} would hold ${size.toPrecision(3)} elements; backend '${backendName(backend)}' holds at most ${limit} per tensor`,
      );
    }
  }
}

/** How a tensor was made, for debug mode's errors. */
export function describeOp(op: string, inputs: readonly AnyTensor[]): string {
  return `${op}(${inputs.map((t) => `${t.dtype} ${formatShape(t.shape)}`).join(', ')})`;
}

/**
 * Debug mode: a NaN or ±Infinity in a float32 output is an error naming the op, checked now where
 * the backend reads synchronously, else when the tensor is read.
 */
function checkFinite(
  op: string,
  inputs: readonly AnyTensor[],
  outputs: readonly AnyTensor[],
): void {
  const made = describeOp(op, inputs);
  for (const out of outputs) {
    if (out.dtype !== 'float32') continue;
    const readSync = out.backend.readSync;
    if (readSync === undefined) {
      out.madeBy = made;
      continue;
    }
    const at = firstNonFinite(readSync.call(out.backend, out.handle(op)));
    if (at >= 0) {
      for (const o of outputs) o.dispose();
      throw new RangeError(
        `debug mode: ${made} gave a non-finite value at element ${at} of its output ${formatShape(out.shape)}`,
      );
    }
  }
}

/** A scalar tensor of value `v` on `backend`. */
export function scalarOn(backend: Backend, v: number): Tensor {
  return new Tensor(backend.makeTensor(Float32Array.of(v), []), backend);
}

/** A float32 tensor of `shape` filled with `v`, on `backend`. */
export function filledOn(backend: Backend, shape: readonly number[], v: number): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  return new Tensor(backend.makeTensor(new Float32Array(size).fill(v), shape), backend);
}

/** Checks an optional boolean option. */
export function checkBoolean(
  where: string,
  arg: string,
  value: unknown,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(`${where}: ${arg} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** Checks an options object (undefined is `{}`). */
export function optionsOf<T extends object>(where: string, options: unknown): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  return options as Partial<T>;
}
