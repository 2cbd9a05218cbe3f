/**
 * The backend registry and the bookkeeping every tensor shares: which backend is current, which
 * tidy scopes are open. Kept on `globalThis` so that two copies of core in one app share one
 * registry (as tfjs does in `global_util.ts`).
 */
import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendFactory,
  REQUIRED_MEMBERS,
} from './backend.js';
import { requiredKernels } from './ops/registry.js';
import { describe } from './validate.js';

interface Registration {
  readonly factory: BackendFactory;
  readonly priority: number;
  /** One shared initialisation per backend. */
  init?: Promise<Backend>;
  instance?: Backend;
}

/** Something a tidy scope can dispose. */
export interface Disposable {
  dispose(): void;
}

interface EngineState {
  readonly registry: Map<string, Registration>;
  current: Backend | null;
  /** The initialisation that will make a backend current when none was current. */
  pendingDefault: Promise<Backend> | null;
  /** Why registered backends failed to start, by name (reported instead of "none is ready"). */
  readonly failures: Map<string, unknown>;
  readonly scopes: Set<Disposable>[];
  /** The name each backend instance was registered under (two instances may share a class). */
  readonly names: WeakMap<Backend, string>;
  /** Recording gradient tapes, innermost last. */
  readonly tapes: TapeLike[];
}

/** What the registry needs to know of a gradient tape: which tensors it saved. */
export interface TapeLike {
  /** Whether the tape saved `t` for its backward pass. */
  saves(t: Disposable): boolean;
  /** Disposes `t` when the tape is done instead of now. */
  deferDisposal(t: Disposable): void;
}

const STATE_KEY = Symbol.for('@illia-ts/core/engine');

function engineState(): EngineState {
  const holder = globalThis as { [STATE_KEY]?: EngineState };
  holder[STATE_KEY] ??= {
    registry: new Map(),
    current: null,
    pendingDefault: null,
    failures: new Map(),
    scopes: [],
    names: new WeakMap(),
    tapes: [],
  };
  return holder[STATE_KEY];
}

/** The backends that `ready()` tries, in order, when none is registered. */
const DEFAULT_ORDER = ['cpu', 'tfjs', 'onnx'] as const;

/**
 * The npm package that provides a backend name. A name is `<package>` or `<package>-<variant>`
 * (for example `tfjs-wasm`, provided by `@illia-ts/backend-tfjs`).
 */
export function backendPackage(name: string): string {
  return `@illia-ts/backend-${name.split('-')[0]}`;
}

function checkName(where: string, name: unknown): string {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new TypeError(
      `${where}: name must be a backend name such as "cpu" (lowercase letters, digits, "-"), got ${describe(name)}`,
    );
  }
  return name;
}

function checkBackend(name: string, backend: unknown): Backend {
  const b = backend as Partial<Backend> | null;
  if (b === null || typeof b !== 'object') {
    throw new TypeError(`backend '${name}': its factory must return a Backend, got ${describe(b)}`);
  }
  if (b.apiVersion !== BACKEND_API_VERSION) {
    throw new Error(
      `backend '${name}' implements Backend API version ${describe(b.apiVersion)}, but this @illia-ts/core expects version ${BACKEND_API_VERSION}: install matching versions of @illia-ts/core and ${backendPackage(name)}`,
    );
  }
  const missing = REQUIRED_MEMBERS.filter((k) => typeof b[k] !== 'function');
  if (missing.length > 0) {
    throw new TypeError(
      `backend '${name}' claims Backend API version ${BACKEND_API_VERSION} but lacks ${missing.join(', ')}: every method of that version is required`,
    );
  }
  const kernels = b.kernels;
  if (kernels === null || typeof kernels !== 'object') {
    throw new TypeError(
      `backend '${name}' has no kernel table (kernels), got ${describe(kernels)}`,
    );
  }
  const lacking = requiredKernels()
    .filter((op) => typeof kernels[op] !== 'function')
    .sort();
  if (lacking.length > 0) {
    throw new TypeError(
      `backend '${name}' lacks the required kernel${lacking.length === 1 ? '' : 's'} ${lacking.join(', ')}: install versions of ${backendPackage(name)} and @illia-ts/core made for each other`,
    );
  }
  engineState().names.set(b as Backend, name);
  return b as Backend;
}

/** The name a backend was registered under (its own `name` if it was never registered). */
export function backendName(backend: Backend): string {
  return engineState().names.get(backend) ?? backend.name;
}

/**
 * Initialises a registered backend once. A synchronous factory gives a settled instance at once;
 * a failure is kept (as a rejected promise) and reported by `setBackend`/`ready`.
 */
function initialize(name: string, reg: Registration): Backend | Promise<Backend> {
  if (reg.instance) return reg.instance;
  if (reg.init) return reg.init;
  try {
    const made = reg.factory();
    if (!(made instanceof Promise)) {
      reg.instance = checkBackend(name, made);
      engineState().failures.delete(name);
      return reg.instance;
    }
    reg.init = made.then((backend) => {
      reg.instance = checkBackend(name, backend);
      return reg.instance;
    });
  } catch (error) {
    engineState().failures.set(name, error);
    reg.init = Promise.reject(error);
  }
  // Kept for getBackend's error, and handled here so that a failure nobody asks about is not an
  // unhandled rejection.
  reg.init.catch((error) => {
    engineState().failures.set(name, error);
  });
  return reg.init;
}

/**
 * Registers a backend under `name`. Backend packages call it when imported; users call it for a
 * backend of their own. If no backend is current yet, this one becomes current as soon as it is
 * ready. Returns `false` (and changes nothing) if the name is already registered.
 */
export function registerBackend(
  name: string,
  factory: BackendFactory,
  options: { priority?: number } = {},
): boolean {
  checkName('registerBackend', name);
  if (typeof factory !== 'function') {
    throw new TypeError(`registerBackend: factory must be a function, got ${describe(factory)}`);
  }
  const state = engineState();
  if (state.registry.has(name)) return false;
  const reg: Registration = { factory, priority: options.priority ?? 0 };
  state.registry.set(name, reg);
  if (state.current === null && state.pendingDefault === null) {
    const made = initialize(name, reg);
    if (made instanceof Promise) {
      const pending = made.then((backend) => {
        if (state.current === null) state.current = backend;
        return backend;
      });
      pending
        .catch(() => undefined)
        .finally(() => {
          if (state.pendingDefault === pending) state.pendingDefault = null;
        });
      state.pendingDefault = pending;
    } else {
      state.current = made;
    }
  }
  return true;
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes(specifier)
  );
}

/** Imports the package that provides `name`, so that it registers itself. */
async function importBackend(name: string): Promise<Registration> {
  const specifier = backendPackage(name);
  try {
    await import(/* @vite-ignore */ specifier);
  } catch (error) {
    if (isModuleNotFound(error, specifier)) {
      throw new Error(`backend '${name}' is not installed: run npm i ${specifier}`, {
        cause: error,
      });
    }
    throw new Error(`backend '${name}': importing ${specifier} failed: ${String(error)}`, {
      cause: error,
    });
  }
  const reg = engineState().registry.get(name);
  if (!reg) {
    throw new Error(
      `backend '${name}': ${specifier} is installed but registered no backend of that name (registered: ${[...engineState().registry.keys()].join(', ') || 'none'})`,
    );
  }
  return reg;
}

/**
 * Makes backend `name` current, importing its package (`@illia-ts/backend-<name>`) first when it
 * is not registered yet. Tensors keep the backend they were made on.
 */
export async function setBackend(name: string): Promise<Backend> {
  checkName('setBackend', name);
  const state = engineState();
  const reg = state.registry.get(name) ?? (await importBackend(name));
  const backend = await initialize(name, reg);
  state.current = backend;
  return backend;
}

function readEnv(variable: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[variable];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Waits until a backend is current and returns it. With a name, the same as `setBackend(name)`.
 * Without: the backend named by the environment variable `ILLIA_BACKEND`, else the current one,
 * else the registered one of highest priority, else the first installed of cpu, tfjs, onnx.
 */
export async function ready(name?: string): Promise<Backend> {
  if (name !== undefined) return setBackend(name);
  const fromEnv = readEnv('ILLIA_BACKEND');
  if (fromEnv !== undefined) return setBackend(fromEnv);
  const state = engineState();
  if (state.current) return state.current;
  if (state.pendingDefault) {
    try {
      return await state.pendingDefault;
    } catch {
      // fall through: try the others
    }
  }
  const failures: string[] = [];
  const registered = [...state.registry.entries()].sort((a, b) => b[1].priority - a[1].priority);
  for (const [candidate, reg] of registered) {
    try {
      const backend = await initialize(candidate, reg);
      state.current ??= backend;
      return state.current;
    } catch (error) {
      // A backend that is there but refuses to start (a bad ILLIA_* setting, say) is an error to
      // report, not a reason to go on quietly with a slower one.
      throw new Error(`ready: backend '${candidate}' failed to start: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
  for (const candidate of DEFAULT_ORDER) {
    if (state.registry.has(candidate)) continue;
    try {
      return await setBackend(candidate);
    } catch (error) {
      if (!(error instanceof Error && / is not installed: run npm i /.test(error.message))) {
        throw new Error(`ready: backend '${candidate}' failed to start: ${describeError(error)}`, {
          cause: error,
        });
      }
      failures.push(`[${candidate}] ${error.message}`);
    }
  }
  throw new Error(`no available backend found: ${failures.join('; ')}`);
}

/**
 * The current backend. Throws if none is ready: call `await ready()` or import a backend package.
 */
export function getBackend(): Backend {
  const state = engineState();
  const current = state.current;
  if (current === null) {
    const failed = [...state.failures.entries()].map(
      ([name, error]) => `backend '${name}' failed to start: ${describeError(error)}`,
    );
    throw new Error(
      failed.length > 0
        ? `no backend is ready: ${failed.join('; ')}`
        : "no backend is ready: call `await ready()` (or `await setBackend('cpu')`), or import a backend package such as '@illia-ts/backend-cpu'",
    );
  }
  return current;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The names of the registered backends. */
export function registeredBackends(): string[] {
  return [...engineState().registry.keys()];
}

/** Records a new tensor in the innermost open tidy scope. */
export function track(tensor: Disposable): void {
  const scopes = engineState().scopes;
  scopes[scopes.length - 1]?.add(tensor);
}

/** Removes a tensor from every open tidy scope so that no scope disposes it. */
export function untrack(tensor: Disposable): void {
  for (const scope of engineState().scopes) scope.delete(tensor);
}

/** Opens a tidy scope. */
export function openScope(): Set<Disposable> {
  const scope = new Set<Disposable>();
  engineState().scopes.push(scope);
  return scope;
}

/** Closes the innermost scope, disposing what it holds but `keep`; kept tensors move outward. */
export function closeScope(scope: Set<Disposable>, keep: ReadonlySet<Disposable>): void {
  const scopes = engineState().scopes;
  if (scopes[scopes.length - 1] !== scope) throw new Error('tidy: scopes closed out of order');
  scopes.pop();
  const parent = scopes[scopes.length - 1];
  for (const item of scope) {
    if (keep.has(item)) parent?.add(item);
    else item.dispose();
  }
}

/** The recording tapes, innermost last. */
export function activeTapes(): TapeLike[] {
  return engineState().tapes;
}

/**
 * If a recording tape saved `t` for its backward pass, hands `t` to that tape (which disposes it
 * when done) and returns true.
 */
export function deferToTape(t: Disposable): boolean {
  for (const tape of engineState().tapes) {
    if (tape.saves(t)) {
      tape.deferDisposal(t);
      return true;
    }
  }
  return false;
}
