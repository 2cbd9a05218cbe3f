/**
 * ONNX Runtime in browsers: onnxruntime-web (WebAssembly, and WebGPU where the page has it). The
 * same names as `./node.ts` (see there); the graphs and kernels are the same, only the runtime
 * that runs them differs. ONNX Runtime fetches its `.wasm` file relative to the module that
 * imports it, or from `ort.env.wasm.wasmPaths` (exported as `ortEnv`; see the README).
 */
import * as ort from 'onnxruntime-web';

export { ort };

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
