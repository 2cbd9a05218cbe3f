/**
 * State dicts with illia's names: the keys illia's PyTorch `state_dict()` gives the same model
 * (`0.weights`, `0.bias`, `0.weights_distribution.mu`, `.rho`, `.mu_prior`, `.std_prior`, …,
 * `Sequential` children by index), so weights move between illia and illia-ts as they are.
 */
import type { Backend, DType } from '../backend.js';
import { GaussianDistribution } from '../gaussian.js';
import type { Module } from '../nn/module.js';
import { reshape } from '../ops/index.js';
import { formatShape, sameShape } from '../shape.js';
import { type AnyTensor, Tensor } from '../tensor.js';
import { describe } from '../validate.js';
import { checkHostTensor, type HostTensor } from './safetensors.js';
import { VERSION } from './version.js';

/**
 * The buffers of a module's state (illia's `register_buffer`s: the last weight sample), by name.
 */
export interface StateBuffers {
  /** Each buffer's shape, by name, in illia's order. */
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  /** The current values, by name: tensors the module owns (they are read, never disposed). */
  read(): Readonly<Record<string, Tensor>>;
  /** Replaces the values with these (one for every name in `shapes`), consuming them. */
  write(values: Record<string, Tensor>): void;
}

/**
 * How a module is saved and loaded: its buffers first, then its children (modules or Gaussian
 * distributions) under illia's attribute names, as PyTorch orders a state dict. A module of your
 * own takes part by having a `stateLayout()` method that returns one; `Linear` (and any layer
 * with `weights`/`bias` distributions and `heldSample`/`setHeldSample`), `Sequential` and the
 * parameterless modules need none.
 */
export interface StateLayout {
  /** The module's kind, for the file's metadata (such as `Linear`). */
  readonly type: string;
  /** Its configuration (JSON values), for the file's metadata. Default: its own fields that are numbers, strings, booleans or number arrays. */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly buffers?: StateBuffers;
  readonly children?: ReadonlyArray<readonly [string, Module<AnyTensor> | GaussianDistribution]>;
}

/** What {@link loadStateDict} left out (all empty after a strict load). */
export interface LoadStateDictResult {
  /** Keys the module has and the dict lacks. */
  readonly missingKeys: string[];
  /** Keys the dict has and the module lacks. */
  readonly unexpectedKeys: string[];
  /** Keys present in both whose value did not fit (shape, dtype or prior), with the reason. */
  readonly mismatched: { key: string; reason: string }[];
}

/** A strict {@link loadStateDict} that found problems: every one is in {@link problems}. */
export class StateDictError extends Error {
  override name = 'StateDictError';
  /** One line per problem, each naming its key. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      `loadStateDict: ${problems.length} problem${problems.length === 1 ? '' : 's'}, nothing was loaded (pass { strict: false } to load what fits):\n  ${problems.join('\n  ')}`,
    );
    this.problems = problems;
  }
}

/** One entry of a module's state. */
interface Slot {
  readonly key: string;
  readonly shape: readonly number[];
  /** The tensor that holds the value (owned by the module), unless {@link fixed}. */
  readonly current?: () => Tensor;
  /** A value fixed when the module was made (a prior): written as `[value]`, checked on load. */
  readonly fixed?: { value: number; backend: Backend; hint: string };
  /** Where a loaded value goes. */
  readonly target:
    | { kind: 'parameter'; distribution: GaussianDistribution; name: 'mu' | 'rho' }
    | { kind: 'buffer'; group: BufferGroup; name: string }
    | { kind: 'fixed' };
}

interface BufferGroup {
  readonly buffers: StateBuffers;
  readonly names: readonly string[];
}

/** A layer whose state is `weights`/`bias` distributions and a held sample, as `Linear`. */
interface WeightsBiasLayer extends Module<AnyTensor> {
  readonly weights: GaussianDistribution;
  readonly bias: GaussianDistribution | null;
  heldSample(): { weights: Tensor; bias: Tensor | null } | null;
  setHeldSample(weights: Tensor, bias: Tensor | null): void;
}

const quote = (key: string) => JSON.stringify(key);

/** The shortest decimal that is this float32 (0.2, not 0.20000000298023224). */
function float32String(value: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = Number(value.toPrecision(digits));
    if (Math.fround(text) === value) return String(text);
  }
  return String(value);
}

function isWeightsBiasLayer(module: unknown): module is WeightsBiasLayer {
  const m = module as Partial<WeightsBiasLayer>;
  return (
    m.weights instanceof GaussianDistribution &&
    (m.bias === null || m.bias instanceof GaussianDistribution) &&
    typeof m.heldSample === 'function' &&
    typeof m.setHeldSample === 'function'
  );
}

/** A module's own settings: its enumerable fields that are numbers, strings, booleans or number arrays. */
function plainConfig(module: object): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(module)) {
    if (
      ['number', 'string', 'boolean'].includes(typeof value) ||
      (Array.isArray(value) && value.every((v) => typeof v === 'number'))
    ) {
      config[name] = value;
    }
  }
  return config;
}

const priorsOf = (d: GaussianDistribution) => ({ muPrior: d.muPrior, stdPrior: d.stdPrior });

function weightsBiasLayout(layer: WeightsBiasLayer): StateLayout {
  const shapes: Record<string, readonly number[]> = { weights: layer.weights.shape };
  if (layer.bias) shapes.bias = layer.bias.shape;
  const children: [string, GaussianDistribution][] = [['weights_distribution', layer.weights]];
  if (layer.bias) children.push(['bias_distribution', layer.bias]);
  return {
    type: layer.constructor.name,
    config: {
      ...plainConfig(layer),
      useBias: layer.bias !== null,
      weightsDistribution: priorsOf(layer.weights),
      ...(layer.bias ? { biasDistribution: priorsOf(layer.bias) } : {}),
    },
    buffers: {
      shapes,
      // Before the first forward pass a layer holds no sample: its means stand in.
      read: () => {
        const held = layer.heldSample();
        const weights = held?.weights ?? layer.weights.mu;
        const bias = held ? held.bias : (layer.bias?.mu ?? null);
        const values: Record<string, Tensor> = { weights };
        if (bias) values.bias = bias;
        return values;
      },
      write: (values) => layer.setHeldSample(values.weights as Tensor, values.bias ?? null),
    },
    children,
  };
}

/** How `module` is saved: its own layout, a known kind's, or none for a parameterless module. */
function layoutOf(module: Module<AnyTensor>, path: string): StateLayout {
  const own = (module as { stateLayout?: () => StateLayout }).stateLayout;
  if (typeof own === 'function') return own.call(module);
  if (isWeightsBiasLayer(module)) return weightsBiasLayout(module);
  const modules = (module as { modules?: readonly Module<AnyTensor>[] }).modules;
  if (Array.isArray(modules)) {
    return {
      type: module.constructor.name,
      children: modules.map((m, i) => [String(i), m] as const),
    };
  }
  if (typeof module.parameters === 'function' && module.parameters().length === 0) {
    return { type: module.constructor.name };
  }
  throw new TypeError(
    `stateDict: the module at ${path === '' ? 'the root' : quote(path)} (${describe(module)}) has parameters but no state layout: give it a stateLayout() method`,
  );
}

/** A module's state: its slots in illia's order, and its description for the metadata. */
interface Flat {
  readonly slots: Slot[];
  readonly description: Record<string, unknown>;
}

function flatten(
  item: Module<AnyTensor> | GaussianDistribution,
  path: string,
  slots: Slot[],
): Record<string, unknown> {
  const prefix = path === '' ? '' : `${path}.`;
  if (item instanceof GaussianDistribution) {
    const d = item;
    for (const name of ['mu', 'rho'] as const) {
      slots.push({
        key: `${prefix}${name}`,
        shape: d.shape,
        current: () => d[name],
        target: { kind: 'parameter', distribution: d, name },
      });
    }
    const priors = [
      ['mu_prior', d.muPrior, 'muPrior'],
      ['std_prior', d.stdPrior, 'stdPrior'],
    ] as const;
    for (const [name, value, option] of priors) {
      slots.push({
        key: `${prefix}${name}`,
        shape: [1],
        fixed: { value: Math.fround(value), backend: d.backend, hint: option },
        target: { kind: 'fixed' },
      });
    }
    return { type: 'GaussianDistribution', shape: [...d.shape], ...priorsOf(d) };
  }
  if (item === null || typeof item !== 'object' || typeof item.forward !== 'function') {
    throw new TypeError(
      `stateDict: module must be a module or a GaussianDistribution, got ${describe(item)}${path === '' ? '' : ` at ${quote(path)}`}`,
    );
  }
  const layout = layoutOf(item, path);
  const description: Record<string, unknown> = {
    type: layout.type,
    ...(layout.config ?? plainConfig(item)),
  };
  if (layout.buffers) {
    const buffers = layout.buffers;
    const group: BufferGroup = { buffers, names: Object.keys(buffers.shapes) };
    for (const name of group.names) {
      slots.push({
        key: `${prefix}${name}`,
        shape: buffers.shapes[name] as readonly number[],
        current: () => {
          const t = buffers.read()[name];
          if (!(t instanceof Tensor)) {
            throw new TypeError(
              `stateDict: buffer ${quote(`${prefix}${name}`)} of ${layout.type}: read() gave ${describe(t)}`,
            );
          }
          return t;
        },
        target: { kind: 'buffer', group, name },
      });
    }
  }
  if (layout.children && layout.children.length > 0) {
    // Modules are described; distributions are the layer's own business (its config).
    const children: Record<string, unknown> = {};
    for (const [name, child] of layout.children) {
      const about = flatten(child, `${prefix}${name}`, slots);
      if (!(child instanceof GaussianDistribution)) children[name] = about;
    }
    if (Object.keys(children).length > 0) description.children = children;
  }
  return description;
}

function flat(module: Module<AnyTensor> | GaussianDistribution): Flat {
  const slots: Slot[] = [];
  const description = flatten(module, '', slots);
  return { slots, description };
}

/** A tensor on `backend`, whichever backend is current. */
function tensorOn(backend: Backend, values: Float32Array, shape: readonly number[]): Tensor {
  return new Tensor<'float32'>(backend.makeTensor(values, shape), backend);
}

/**
 * The state of `module` (or of a `GaussianDistribution`), keyed as illia's PyTorch
 * `state_dict()` would key the same model: `Sequential` children by index, each Bayesian layer's
 * last-sample buffers (`weights`, `bias`; a layer that has not run yet gives its means), then its
 * distributions' `mu`, `rho`, `mu_prior` and `std_prior` (shape `[1]`). The tensors are new copies
 * on the module's backend, yours to dispose.
 */
export function stateDict(
  module: Module<AnyTensor> | GaussianDistribution,
): Record<string, Tensor> {
  const { slots } = flat(module);
  const out: Record<string, Tensor> = {};
  try {
    for (const slot of slots) {
      out[slot.key] = slot.fixed
        ? tensorOn(slot.fixed.backend, Float32Array.of(slot.fixed.value), [1])
        : reshape((slot.current as () => Tensor)(), slot.shape);
    }
  } catch (error) {
    for (const t of Object.values(out)) t.dispose();
    throw error;
  }
  return out;
}

/** @internal The state as host values, read without copies on the backend (for files). */
export async function readStateDict(
  module: Module<AnyTensor> | GaussianDistribution,
): Promise<Record<string, HostTensor<'float32'>>> {
  const { slots } = flat(module);
  // Every read starts before any is awaited: one snapshot, even if training goes on meanwhile.
  const reads = slots.map((slot) =>
    slot.fixed
      ? Promise.resolve(Float32Array.of(slot.fixed.value))
      : (slot.current as () => Tensor)().data(),
  );
  const values = await Promise.all(reads);
  const out: Record<string, HostTensor<'float32'>> = {};
  slots.forEach((slot, i) => {
    out[slot.key] = { dtype: 'float32', shape: [...slot.shape], values: values[i] as Float32Array };
  });
  return out;
}

/**
 * @internal What a file's metadata says about the model: the illia-ts version and each module's
 * kind and configuration (`illia_ts_model`, a JSON tree), with `format: 'pt'` (the tensors are
 * PyTorch's).
 */
export function modelMetadata(
  module: Module<AnyTensor> | GaussianDistribution,
): Record<string, string> {
  return {
    format: 'pt',
    illia_ts_version: VERSION,
    illia_ts_model: JSON.stringify(flat(module).description),
  };
}

/** Options of {@link loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * Default true: any missing or unexpected key, wrong shape or dtype, or differing prior is an
   * error listing them all, and nothing is loaded. False: loads what fits and returns the rest.
   */
  strict?: boolean;
}

/**
 * Copies a state dict's values into `module` (the variables keep their identity, so optimizers
 * and `parameters()` lists still hold): `mu` and `rho` into the distributions, the `weights`
 * and `bias` buffers into each layer's held sample (so `freeze()` then gives the forward pass of
 * the model that was saved). Values are tensors of any backend or host tensors
 * (`{ dtype, shape, values }`, as {@link decodeSafetensors} gives); they are read, not consumed.
 * Priors are fixed when a layer is made, so a prior in the dict must equal the module's.
 * Asynchronous because it reads the values.
 */
export async function loadStateDict(
  module: Module<AnyTensor> | GaussianDistribution,
  dict: Readonly<Record<string, AnyTensor | HostTensor>>,
  options: LoadStateDictOptions = {},
): Promise<LoadStateDictResult> {
  const where = 'loadStateDict';
  if (dict === null || typeof dict !== 'object') {
    throw new TypeError(`${where}: dict must be an object of tensors, got ${describe(dict)}`);
  }
  const { strict = true } = options ?? {};
  if (typeof strict !== 'boolean') {
    throw new TypeError(`${where}: strict must be a boolean, got ${describe(strict)}`);
  }
  const { slots } = flat(module);
  const expected = new Set(slots.map((s) => s.key));
  const missingKeys = slots.filter((s) => !Object.hasOwn(dict, s.key)).map((s) => s.key);
  const unexpectedKeys = Object.keys(dict).filter((key) => !expected.has(key));
  const mismatched: { key: string; reason: string }[] = [];
  const loaded = new Map<Slot, Float32Array>();
  for (const slot of slots) {
    if (!Object.hasOwn(dict, slot.key)) continue;
    const value = dict[slot.key];
    let dtype: DType;
    let shape: readonly number[];
    if (value instanceof Tensor) {
      if (value.isDisposed) {
        mismatched.push({ key: slot.key, reason: 'the tensor was disposed' });
        continue;
      }
      ({ dtype, shape } = value);
    } else {
      ({ dtype, shape } = checkHostTensor(where, slot.key, value));
    }
    if (!sameShape(shape, slot.shape)) {
      mismatched.push({
        key: slot.key,
        reason: `shape ${formatShape(shape)} in the dict, ${formatShape(slot.shape)} in the module`,
      });
      continue;
    }
    if (dtype !== 'float32') {
      mismatched.push({ key: slot.key, reason: `${dtype} in the dict, float32 in the module` });
      continue;
    }
    const values =
      value instanceof Tensor ? await (value as Tensor).data() : (value as HostTensor).values;
    const fixed = slot.fixed;
    if (fixed) {
      const other = (values as Float32Array).find((v) => v !== fixed.value);
      if (other !== undefined) {
        mismatched.push({
          key: slot.key,
          reason: `${float32String(other)} in the dict, but the module's is ${float32String(fixed.value)} (priors are fixed when a layer is made: build it with { ${fixed.hint}: ${float32String(other)} })`,
        });
      }
      continue;
    }
    loaded.set(slot, values as Float32Array);
  }
  const problems = [
    ...missingKeys.map((key) => `missing key ${quote(key)}`),
    ...unexpectedKeys.map((key) => `unexpected key ${quote(key)}`),
    ...mismatched.map(({ key, reason }) => `${quote(key)}: ${reason}`),
  ];
  if (strict && problems.length > 0) throw new StateDictError(problems);

  // Parameters first (a buffer left out falls back to the means, which must be the new ones).
  const parameters = new Map<GaussianDistribution, { mu?: Tensor; rho?: Tensor }>();
  const groups = new Map<BufferGroup, Map<string, Float32Array>>();
  for (const [slot, values] of loaded) {
    const target = slot.target;
    if (target.kind === 'parameter') {
      const entry = parameters.get(target.distribution) ?? {};
      entry[target.name] = tensorOn(target.distribution.backend, values, slot.shape);
      parameters.set(target.distribution, entry);
    } else if (target.kind === 'buffer') {
      const entry = groups.get(target.group) ?? new Map<string, Float32Array>();
      entry.set(target.name, values);
      groups.set(target.group, entry);
    }
  }
  for (const [distribution, values] of parameters) distribution.setParameters(values);
  for (const [group, values] of groups) {
    const current = group.buffers.read();
    const next: Record<string, Tensor> = {};
    for (const name of group.names) {
      const now = current[name] as Tensor;
      const given = values.get(name);
      // Left out: a copy of the current value, since write() consumes what it gets.
      next[name] = given ? tensorOn(now.backend, given, now.shape) : reshape(now, now.shape);
    }
    group.buffers.write(next);
  }
  return { missingKeys, unexpectedKeys, mismatched };
}
