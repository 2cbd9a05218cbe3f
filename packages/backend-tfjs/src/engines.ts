/**
 * tfjs engines (tfjs calls them backends: cpu, wasm, tensorflow, webgl, webgpu): loading one,
 * making it tfjs's active engine, and keeping tfjs (and its engines) from touching what is not
 * theirs: no banner, no process-wide handlers, no overlapping initialisations.
 */
import * as tf from '@tensorflow/tfjs-core';
// The cpu engine is a dependency: every install has an engine that works everywhere.
import '@tensorflow/tfjs-backend-cpu';
import { guardWasmAllocations, WASM_MAX_ELEMENTS } from './wasm-engine.js';

/** The npm package that registers each tfjs engine. */
const ENGINE_PACKAGES: Readonly<Record<string, string>> = {
  cpu: '@tensorflow/tfjs-backend-cpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  webgl: '@tensorflow/tfjs-backend-webgl',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/**
 * The illia-ts backends this package registers, each on one tfjs engine, whatever the order of
 * the imports: `tfjs` is tfjs's cpu engine (in Node, {@link ENGINE_ENV} may name another). The
 * GPU engines only in a browser (tfjs's webgl and webgpu engines do not run in Node), so that in
 * Node every registered backend is one that can start.
 */
export function backendEngines(): Readonly<Record<string, string>> {
  return isNode()
    ? { tfjs: 'cpu', 'tfjs-wasm': 'wasm' }
    : { tfjs: 'cpu', 'tfjs-wasm': 'wasm', 'tfjs-webgl': 'webgl', 'tfjs-webgpu': 'webgpu' };
}

/**
 * The environment variable that picks the engine of the `tfjs` backend in Node (tests,
 * benchmarks). A page has no environment: it picks an engine by backend name.
 */
export const ENGINE_ENV = 'ILLIA_TFJS_ENGINE';

/**
 * The engine `createTfjsBackend` would take from {@link ENGINE_ENV} in Node, or `undefined` when
 * it is unset or empty, or in a page.
 */
export function engineFromEnv(): string | undefined {
  return isNode() ? readEnv(ENGINE_ENV) : undefined;
}

/** The tail of the queue of engine loads: each waits for the one before it to settle. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `fn` after every engine load and probe started before it has settled, and before any
 * started after. tfjs has one active engine: two loads that overlap (`setBackend('tfjs-wasm')`
 * right after the import, while the default `tfjs` backend is still starting) left tfjs naming
 * one engine while running the other's kernels (`backend.makeTensorInfo is not a function`), and
 * a probe that awaits a read may find another engine active when it resumes.
 */
export function exclusively<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

function readEnv(variable: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[variable];
  return value === undefined || value === '' ? undefined : value;
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/**
 * Node's "not found" errors, and the one Vite (so vitest) throws in place of an optional peer
 * dependency that is not installed: a module whose body is
 * `throw new Error('Could not resolve "<specifier>" imported by "<package>"')`, with no code. In a
 * page, a bare specifier resolves only through an import map; every browser's failure names it.
 */
function isModuleNotFound(error: unknown, specifier: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (typeof e?.message !== 'string') return false;
  if (!isNode()) return e.message.includes(specifier);
  if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') {
    return e.message.includes(specifier);
  }
  return e.message.startsWith(`Could not resolve "${specifier}"`);
}

/** What to do when engine package `specifier` is not there: install it (Node) or import it (page). */
function getEngineAdvice(specifier: string): string {
  return isNode()
    ? `run npm i ${specifier}`
    : `add import '${specifier}'; to your app (a page cannot load a package by name)`;
}

/** How to run on another engine instead, for this environment. */
function otherEngineAdvice(): string {
  return isNode()
    ? `use another engine: setBackend('tfjs') (tfjs's cpu engine) or ${ENGINE_ENV}=cpu`
    : "use another engine: setBackend('tfjs') (tfjs's cpu engine)";
}

/** Imports an engine package; `false` if it is not installed. */
async function importEngine(specifier: string): Promise<boolean> {
  if (specifier === ENGINE_PACKAGES.tensorflow) {
    // libtensorflow prints CPU-feature banners to stderr on load unless told not to.
    const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
    if (proc?.env && proc.env.TF_CPP_MIN_LOG_LEVEL === undefined)
      proc.env.TF_CPP_MIN_LOG_LEVEL = '2';
  }
  try {
    // A variable specifier: bundlers must not pull optional engines into every build.
    await withoutNewProcessHandlers(() => import(/* @vite-ignore */ specifier));
    return true;
  } catch (error) {
    if (isModuleNotFound(error, specifier)) return false;
    // Installed but broken (a failed libtensorflow download, say): say how to run without it.
    throw new Error(
      `backend-tfjs: importing ${specifier} failed: ${String(error)}; ${otherEngineAdvice()}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * The engine of the `tfjs` backend when none is named: in Node `ILLIA_TFJS_ENGINE` if set, else
 * tfjs's cpu engine. Never the engine tfjs would pick itself (the best one registered, which
 * depends on what was imported before what): other engines have backends of their own names.
 */
export function defaultEngine(): string {
  return engineFromEnv() ?? 'cpu';
}

/**
 * Runs `fn` with tfjs's warnings off. tfjs-backend-cpu prints a "Hi, looks like you are running
 * TensorFlow.js in Node.js" banner on its first tensor; that is not for our users' output.
 */
function quietly<T>(fn: () => T): T {
  const env = tf.env();
  const previous = env.getBool('PROD');
  env.set('PROD', true);
  try {
    return fn();
  } finally {
    env.set('PROD', previous);
  }
}

/** The process-wide handlers an engine must not install. */
const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

type Listener = (...args: unknown[]) => void;
interface ProcessEvents {
  listeners(event: string): Listener[];
  removeListener(event: string, listener: Listener): unknown;
}

/**
 * Runs `fn` and removes the `uncaughtException` and `unhandledRejection` listeners added while it
 * ran. The wasm engine's Emscripten module installs both when it initialises in Node; they
 * rethrow, so any later uncaught error of the app exits with code 7 and a stack in
 * tf-backend-wasm.node.js instead of node's own report (code 1). A listener the app adds while an
 * engine loads is removed too; one added before or after is left alone.
 */
export async function withoutNewProcessHandlers<T>(fn: () => Promise<T>): Promise<T> {
  const proc = (globalThis as { process?: Partial<ProcessEvents> }).process;
  if (typeof proc?.listeners !== 'function' || typeof proc.removeListener !== 'function') {
    return fn();
  }
  const events = proc as ProcessEvents;
  const before = PROCESS_EVENTS.map((event) => new Set(events.listeners(event)));
  try {
    return await fn();
  } finally {
    PROCESS_EVENTS.forEach((event, i) => {
      for (const listener of events.listeners(event)) {
        if (!before[i]?.has(listener)) events.removeListener(event, listener);
      }
    });
  }
}

/** tfjs's engine, with the members of its class declared private that we read. */
interface TfjsEngineInternals {
  readonly pendingBackendInit?: Promise<boolean> | null;
}

/**
 * Initialises `engine` (registered, not yet initialised) into tfjs's registry without making it
 * active. `tf.setBackend` would make it the active engine at once and leave tfjs without a
 * usable one until an asynchronous engine (wasm, webgpu) is ready: meanwhile every tfjs op,
 * another illia-ts backend's included, throws "has not yet been initialized". Here the active
 * engine keeps working while this one initialises.
 */
async function initialiseEngine(engine: string, named: string): Promise<void> {
  const tfEngine = tf.engine();
  // One tfjs began itself (the app's tf.setBackend or tf.ready()): wait for it, not start a second.
  const pending = (tfEngine as unknown as TfjsEngineInternals).pendingBackendInit;
  if (pending) await pending.catch(() => false);
  if (tfEngine.registry[engine] !== undefined) return;
  const entry = tfEngine.registryFactory[engine];
  if (entry === undefined) throw new Error(`backend-tfjs: ${named} is not registered in tfjs`);
  let made: tf.KernelBackend;
  try {
    made = await withoutNewProcessHandlers(async () => entry.factory());
  } catch (error) {
    throw new Error(`backend-tfjs: ${named} failed to initialise: ${String(error)}`, {
      cause: error,
    });
  }
  // tfjs may have initialised it meanwhile (the app's tf.setBackend): keep that one.
  if (tfEngine.registry[engine] === undefined) tfEngine.registry[engine] = made;
  else made.dispose();
}

/** The engine names `loadEngine` can import a package for, for error messages. */
function accepted(): string {
  const registered = tf.engine().backendNames();
  const extra = registered.filter((name) => !(name in ENGINE_PACKAGES));
  return [...Object.keys(ENGINE_PACKAGES), ...extra].join(', ');
}

/**
 * Loads tfjs engine `engine` (importing its package if it is not registered), initialises it and
 * makes it tfjs's active engine. `fromEnv`: the engine was named by {@link ENGINE_ENV}, which
 * errors then name (a bad setting, not a missing package: core goes on to another backend only
 * for the latter). Call it inside {@link exclusively}.
 */
export async function loadEngine(engine: string, fromEnv = false): Promise<void> {
  const named = fromEnv ? `${ENGINE_ENV}=${engine}` : `the tfjs engine '${engine}'`;
  if (typeof engine !== 'string' || engine === '') {
    throw new TypeError(
      `backend-tfjs: engine must be a tfjs backend name such as 'cpu' or 'wasm', got ${String(engine)}`,
    );
  }
  if (!tf.findBackendFactory(engine)) {
    const specifier = ENGINE_PACKAGES[engine];
    if (specifier === undefined) {
      throw new RangeError(
        fromEnv
          ? `backend-tfjs: ${ENGINE_ENV} must name a tfjs engine (${accepted()}), got '${engine}'; unset it for the default engine`
          : `backend-tfjs: engine must be one of ${accepted()} or a tfjs backend the app registered, got '${engine}'`,
      );
    }
    if (!(await importEngine(specifier))) {
      throw new Error(
        fromEnv
          ? `backend-tfjs: ${ENGINE_ENV} is '${engine}', whose package is missing (npm i ${specifier}); set it to an installed engine (${accepted()}) or unset it for the default`
          : isNode()
            ? `backend-tfjs: the tfjs engine '${engine}' is not installed: ${getEngineAdvice(specifier)}`
            : `backend-tfjs: the tfjs engine '${engine}' is not loaded: ${getEngineAdvice(specifier)}`,
      );
    }
  }
  await initialiseEngine(engine, named);
  activate(engine);
  if (engine === 'wasm') guardWasmAllocations(tf.engine().registry[engine] as tf.KernelBackend);
  // The first tensor on the cpu engine is the one that prints the banner.
  quietly(() => tf.dispose(tf.tensor1d([0], 'float32')));
}

/**
 * Makes `engine` (already initialised) tfjs's active engine again if something switched it.
 * tfjs has one active engine per process; `tfjs` and `tfjs-wasm` may both be in use.
 */
export function activate(engine: string): void {
  if (tf.getBackend() === engine) return;
  // Synchronous for an initialised engine: setBackend only awaits a first initialisation.
  tf.setBackend(engine).catch(() => undefined);
  if (tf.getBackend() !== engine) {
    throw new Error(
      `backend-tfjs: could not switch tfjs back to the '${engine}' engine (it is '${tf.getBackend()}')`,
    );
  }
}

/**
 * The most elements one tensor may hold on `engine`, for core's size check (`Backend.maxElements`);
 * `undefined` (core's default, 2^31 − 1) where we have measured nothing.
 *
 * - cpu: tensors are JavaScript typed arrays, indexed with JavaScript numbers by
 *   tfjs-backend-cpu, so the typed-array cap binds: 2^32 elements in Node 20's V8
 *   (`new Float32Array(2 ** 32 + 1)` throws "Invalid typed array length"), 8 GiB (2^31 float32
 *   elements) in Firefox. 2^31 − 1 is under both.
 * - wasm: tensors live in the module's heap, which its Emscripten build lets grow to 2^32 − 2^16
 *   bytes (`getHeapMax()` in tf-backend-wasm.node.js), 4 bytes an element: 2^30 − 2^14. An upper
 *   bound: the heap also holds the module's own data and every other live tensor, and an
 *   allocation that does not fit is a RangeError (`guardWasmAllocations`).
 */
export function maxElementsOf(engine: string): number | undefined {
  if (engine === 'cpu') return 2 ** 31 - 1;
  if (engine === 'wasm') return WASM_MAX_ELEMENTS;
  return undefined;
}
