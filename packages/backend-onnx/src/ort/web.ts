/**
 * ONNX Runtime in browsers: onnxruntime-web (WebAssembly, and WebGPU where the page has it). The
 * same names as `./node.ts` (see there); the graphs and kernels are the same, only the runtime
 * that runs them differs. ONNX Runtime fetches its `.wasm` file relative to the module that
 * imports it, or from `ort.env.wasm.wasmPaths` (exported as `ortEnv`; see the README).
 */
import * as ortWeb from 'onnxruntime-web';

type WasmEnv = typeof ortWeb.env.wasm;

/**
 * The thread count to force on ONNX Runtime's WebAssembly before its first session, or
 * `undefined` to leave its settings alone.
 *
 * In a cross-origin isolated page ONNX Runtime runs on `min(4, ⌈cores / 2⌉)` threads unless told
 * otherwise. Its thread workers load its glue code from the URL of the module that holds it; once
 * a bundler has put onnxruntime-web into the app's bundle, that is the app's bundle, which each
 * worker then runs as a whole: the first read never returns (seen in Chromium 150 with an esbuild
 * bundle). Served on its own (`wasmPaths` a folder holding `ort-wasm-simd-threaded.jsep.mjs`, or
 * `{ mjs, wasm }`) the glue works on any number of threads. So: one thread when the page is
 * isolated, ONNX Runtime would take more, the app serves no glue and set no thread count.
 */
export function forcedThreads(
  wasm: Pick<WasmEnv, 'numThreads' | 'wasmPaths'>,
  isolated: boolean,
  cores: number,
): 1 | undefined {
  if (!isolated) return undefined;
  if (wasm.numThreads !== undefined && wasm.numThreads > 0) return undefined;
  const paths = wasm.wasmPaths;
  if (typeof paths === 'string' || (paths !== undefined && paths.mjs !== undefined)) {
    return undefined;
  }
  return Math.min(4, Math.ceil(cores / 2)) > 1 ? 1 : undefined;
}

let threadsChecked = false;

/** Applies {@link forcedThreads} once, before the first session, and says why. */
function checkThreads(): void {
  if (threadsChecked) return;
  threadsChecked = true;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const wasm = ortWeb.env.wasm;
  if (forcedThreads(wasm, isolated, hardwareThreads()) === undefined) return;
  wasm.numThreads = 1;
  console.warn(
    "@illia-ts/backend-onnx: ONNX Runtime runs on one thread: in a cross-origin isolated page its thread workers need its glue code served as a file. Serve onnxruntime-web's ort-wasm-simd-threaded.jsep.mjs and .wasm and set ortEnv.wasm.wasmPaths to their folder (or to { mjs, wasm }) for several threads, or set ortEnv.wasm.numThreads yourself.",
  );
}

/** onnxruntime-web, with a check of its thread settings before the first session. */
export const ort: typeof ortWeb = {
  ...ortWeb,
  InferenceSession: new Proxy(ortWeb.InferenceSession, {
    get(target, key, receiver) {
      if (key !== 'create') return Reflect.get(target, key, receiver);
      return (...args: unknown[]) => {
        checkThreads();
        return (target.create as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }),
};

/** The npm package that runs the graphs here, for messages. */
export const RUNTIME: string = 'onnxruntime-web';

interface NavigatorLike {
  hardwareConcurrency?: number;
  gpu?: unknown;
}

function nav(): NavigatorLike | undefined {
  return (globalThis as { navigator?: NavigatorLike }).navigator;
}

/** Hardware threads the page reports (`navigator.hardwareConcurrency`), at least 1. */
export function hardwareThreads(): number {
  const n = nav()?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/**
 * Execution providers onnxruntime-web has: `cpu` (its WebAssembly backend, always) and `webgpu`
 * (bundled; it starts only where the page has `navigator.gpu` and an adapter).
 */
export function supportedProviders(): { name: string; bundled: boolean }[] {
  return [
    { name: 'cpu', bundled: true },
    { name: 'webgpu', bundled: true },
  ];
}

/**
 * No process environment in a page: the `ILLIA_ONNX_*` variables are Node's (a bundler that
 * defines `process.env` still passes them through).
 */
export function environment(): Readonly<Record<string, string | undefined>> {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env ?? {};
}
