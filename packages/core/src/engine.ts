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
  /**
   * The last `setBackend` call, settled or not: each call makes its backend current only after the
   * calls before it have, so the last call wins whichever backend starts faster. Optional: a state
   * made by an older copy of core lacks it.
   */
  selecting?: Promise<unknown>;
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

/** The environment variable that names the backend to use in Node (see {@link ready}). */
export const BACKEND_ENV = 'ILLIA_BACKEND';

/** Whether this is Node (or a runtime that says it is one: Bun, Deno), not a page or a worker. */
function inNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** The backend `ILLIA_BACKEND` names, in Node; `undefined` when unset, empty, or in a page. */
function backendFromEnv(): string | undefined {
  return inNode() ? readEnv(BACKEND_ENV) : undefined;
}

/** Errors of {@link importBackend} that mean "not there" (not "there but broken"). */
const notInstalled = new WeakSet<object>();

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
 * ready, unless `ILLIA_BACKEND` (Node) names another: then only that one does, whatever the order
 * of the imports. Returns `false` (and changes nothing) if the name is already registered.
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
  const wanted = backendFromEnv();
  if (
    (wanted === undefined || wanted === name) &&
    state.current === null &&
    state.pendingDefault === null
  ) {
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

/**
 * Whether `error`, thrown by `import(specifier)`, means the package is not there. In Node, its
 * "not found" codes. In a page, a bare specifier resolves only through an import map, and each
 * browser words the failure its own way (Chromium: `Failed to resolve module specifier "…"`,
 * Firefox: `The specifier “…” was a bare specifier…`, Safari: `Module name, '…' does not resolve
 * to a valid URL`), each naming the specifier.
 */
function isModuleNotFound(error: unknown, specifier: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (typeof e?.message !== 'string' || !e.message.includes(specifier)) return false;
  if (!inNode()) return true;
  return e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND';
}

/** What to do to get backend `name` when it is not there, for this environment. */
function installAdvice(name: string): string {
  const specifier = backendPackage(name);
  return inNode()
    ? `backend '${name}' is not installed: run npm i ${specifier}`
    : `backend '${name}' is not registered: add import '${specifier}'; to your app (importing a backend registers it; a page cannot load a package by name)`;
}

/** Imports the package that provides `name`, so that it registers itself. */
async function importBackend(name: string): Promise<Registration> {
  const specifier = backendPackage(name);
  try {
    await import(/* @vite-ignore */ specifier);
  } catch (error) {
    if (isModuleNotFound(error, specifier)) {
      const missing = new Error(installAdvice(name), { cause: error });
      notInstalled.add(missing);
      throw missing;
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
 * is not registered yet (in Node; a page must import it), and waiting for whatever it still has to
 * initialise. Calls take effect in the order they were made: after `setBackend('a')` and
 * `setBackend('b')`, `b` is current even if `a` starts later. Tensors keep the backend they were
 * made on.
 */
export async function setBackend(name: string): Promise<Backend> {
  checkName('setBackend', name);
  const state = engineState();
  const made = (async () => {
    const reg = state.registry.get(name) ?? (await importBackend(name));
    return initialize(name, reg);
  })();
  // Handled here so that a failure while an earlier call is still pending is not an unhandled
  // rejection; `selected` reports it.
  made.catch(() => undefined);
  const before = state.selecting;
  const selected = (async () => {
    if (before) await before.catch(() => undefined);
    const backend = await made;
    state.current = backend;
    return backend;
  })();
  const settled = selected.catch(() => undefined);
  state.selecting = settled;
  void settled.then(() => {
    if (state.selecting === settled) state.selecting = undefined;
  });
  return selected;
}

function readEnv(variable: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[variable];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Waits until a backend is current and returns it. With a name, the same as `setBackend(name)`.
 * Without: in Node, the backend named by the environment variable `ILLIA_BACKEND` (imported if
 * need be; an error if it is not installed); else the one the last `setBackend` call chose; else
 * the current one; else the registered one of highest priority; else (in Node) the first
 * installed of cpu, tfjs, onnx.
 */
export async function ready(name?: string): Promise<Backend> {
  if (name !== undefined) return setBackend(name);
  const fromEnv = backendFromEnv();
  if (fromEnv !== undefined) {
    if (!/^[a-z][a-z0-9-]*$/.test(fromEnv)) {
      throw new TypeError(
        `ready: ${BACKEND_ENV} must name a backend such as "cpu" (lowercase letters, digits, "-"), got ${describe(fromEnv)}; unset it for the default`,
      );
    }
    try {
      return await setBackend(fromEnv);
    } catch (error) {
      throw new Error(`ready: ${BACKEND_ENV} is '${fromEnv}': ${describeError(error, false)}`, {
        cause: error,
      });
    }
  }
  const state = engineState();
  if (state.selecting) await state.selecting;
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
      if (!(error instanceof Error && notInstalled.has(error))) {
        throw new Error(`ready: backend '${candidate}' failed to start: ${describeError(error)}`, {
          cause: error,
        });
      }
      failures.push(`[${candidate}] ${error.message}`);
    }
  }
  if (!inNode()) {
    throw new Error(
      `no backend is registered: import one in your app, such as import '${backendPackage('cpu')}'; (a page cannot load a package by name)`,
    );
  }
  throw new Error(`no available backend found: ${failures.join('; ')}`);
}

/**
 * The current backend. Throws if none is ready: call `await ready()` or import a backend package.
 */
export function getBackend(): Backend {
  const state = engineState();
  const current = state.current;
  if (current === null) throw new Error(`no backend is ready: ${whyNoneIsReady(state)}`);
  return current;
}

/** Why no backend is current, and what to do, for this environment. */
function whyNoneIsReady(state: EngineState): string {
  const failed = [...state.failures.entries()].map(
    ([name, error]) => `backend '${name}' failed to start: ${describeError(error)}`,
  );
  if (failed.length > 0) return failed.join('; ');
  const wanted = backendFromEnv();
  if (wanted !== undefined) {
    const registered = [...state.registry.keys()];
    return state.registry.has(wanted)
      ? `${BACKEND_ENV} is '${wanted}', which is still starting: call \`await ready()\` before the first op`
      : `${BACKEND_ENV} is '${wanted}', which the app has not imported (registered: ${registered.join(', ') || 'none'}): call \`await ready()\` before the first op (it imports ${backendPackage(wanted)}), or unset ${BACKEND_ENV}`;
  }
  if (state.pendingDefault !== null || state.selecting !== undefined) {
    return 'a backend is still starting: call `await ready()` before the first op';
  }
  return inNode()
    ? "call `await ready()` (or `await setBackend('cpu')`), or import a backend package such as '@illia-ts/backend-cpu'"
    : "import a backend in your app, such as import '@illia-ts/backend-cpu'; then `await ready()` (a page cannot load a package by name)";
}

/** An error as `Name: message`; `withName: false` drops a plain `Error: `. */
function describeError(error: unknown, withName = true): string {
  if (!(error instanceof Error)) return String(error);
  return withName || error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
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
