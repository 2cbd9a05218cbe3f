/**
 * tfjs engines (tfjs calls them backends: cpu, wasm, tensorflow, webgl, webgpu): loading one,
 * making it tfjs's active engine, and keeping tfjs quiet while we do.
 */
import * as tf from '@tensorflow/tfjs-core';
// The cpu engine is a dependency: every install has an engine that works everywhere.
import '@tensorflow/tfjs-backend-cpu';

/** The npm package that registers each tfjs engine. */
const ENGINE_PACKAGES: Readonly<Record<string, string>> = {
  cpu: '@tensorflow/tfjs-backend-cpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  webgl: '@tensorflow/tfjs-backend-webgl',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/** The environment variable that picks the engine of the `tfjs` backend (tests, benchmarks). */
export const ENGINE_ENV = 'ILLIA_TFJS_ENGINE';

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
 * `throw new Error('Could not resolve "<specifier>" imported by "<package>"')`, with no code.
 */
function isModuleNotFound(error: unknown, specifier: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (typeof e?.message !== 'string') return false;
  if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') {
    return e.message.includes(specifier);
  }
  return e.message.startsWith(`Could not resolve "${specifier}"`);
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
    await import(/* @vite-ignore */ specifier);
    return true;
  } catch (error) {
    if (isModuleNotFound(error, specifier)) return false;
    // Installed but broken (a failed libtensorflow download, say): say how to run without it.
    throw new Error(
      `backend-tfjs: importing ${specifier} failed: ${String(error)}; pick another engine with ${ENGINE_ENV}=cpu or createTfjsBackend({ engine: 'cpu' })`,
      { cause: error },
    );
  }
}

/** Engines this module made active; an active engine not among them was the app's choice. */
const activatedByUs = new Set<string>();

/**
 * The engine of the `tfjs` backend when none is named: `ILLIA_TFJS_ENGINE` if set; else the
 * engine the app already made active in tfjs; else in Node `tensorflow` (tfjs-node) when the user
 * has installed it, and `cpu` otherwise; in a browser, the engine tfjs picks (the best one the
 * app registered, such as webgl).
 */
export async function defaultEngine(): Promise<string> {
  const fromEnv = readEnv(ENGINE_ENV);
  if (fromEnv !== undefined) return fromEnv;
  // Read without tf.getBackend(), which would pick and initialise an engine itself.
  const active = tf.engine().backendName;
  if (active && !activatedByUs.has(active)) return active;
  if (isNode()) {
    const tensorflow = ENGINE_PACKAGES.tensorflow as string;
    return tf.findBackendFactory('tensorflow') || (await importEngine(tensorflow))
      ? 'tensorflow'
      : 'cpu';
  }
  await tf.ready();
  return tf.getBackend();
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

/**
 * Loads tfjs engine `engine` (importing its package if it is not registered), initialises it and
 * makes it tfjs's active engine.
 */
export async function loadEngine(engine: string): Promise<void> {
  if (typeof engine !== 'string' || engine === '') {
    throw new TypeError(
      `backend-tfjs: engine must be a tfjs backend name such as 'cpu' or 'wasm', got ${String(engine)}`,
    );
  }
  if (!tf.findBackendFactory(engine)) {
    const specifier = ENGINE_PACKAGES[engine];
    if (specifier === undefined) {
      throw new RangeError(
        `backend-tfjs: engine must be one of ${Object.keys(ENGINE_PACKAGES).join(', ')} or a tfjs backend the app registered, got '${engine}'`,
      );
    }
    if (!(await importEngine(specifier))) {
      throw new Error(
        `backend-tfjs: the tfjs engine '${engine}' is not installed: run npm i ${specifier}`,
      );
    }
  }
  activatedByUs.add(engine);
  if (!(await tf.setBackend(engine))) {
    throw new Error(`backend-tfjs: the tfjs engine '${engine}' failed to initialise`);
  }
  // The first tensor on the cpu engine is the one that prints the banner.
  quietly(() => tf.dispose(tf.tensor1d([0], 'float32')));
}

/**
 * Makes `engine` (already loaded) tfjs's active engine again if something switched it. tfjs has
 * one active engine per process; `tfjs` and `tfjs-wasm` may both be in use.
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
