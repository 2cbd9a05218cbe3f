/**
 * `@illia-ts/backend-onnx`: illia-ts on ONNX Runtime: onnxruntime-node in Node, onnxruntime-web in
 * browsers (package.json `exports` picks the build; one graph writer and one kernel set for both).
 * Importing this package registers the backend `onnx` (cpu, or the providers of
 * `ILLIA_ONNX_PROVIDERS` in Node), which becomes current if no backend is, and in a browser
 * `onnx-webgpu` (WebGPU, then cpu for ops it lacks).
 *
 * Its execution providers and threads come from the environment, so that a program picks them
 * without code: `ILLIA_ONNX_PROVIDERS` (comma-separated, such as `cuda,cpu`; default `cpu`),
 * `ILLIA_ONNX_THREADS` (threads per op; default ONNX Runtime's choice) and
 * `ILLIA_ONNX_DETERMINISTIC=1` (one thread per op, bitwise reproducible). For other settings,
 * register a backend of your own: `registerBackend('onnx-gpu', () => OnnxBackend.create({...}))`.
 */
import { registerBackend } from '@illia-ts/core';
import { ort, RUNTIME } from '#ort';
import { backendFromEnv } from './from-env.js';
import { OnnxBackend } from './onnx-backend.js';

registerBackend('onnx', () => backendFromEnv(), { priority: 1 });
// In a page, WebGPU by name, as tfjs-webgpu: where navigator.gpu gives an adapter (ops it lacks
// run on cpu; no adapter is an error that says so when it is set). In Node, where every registered
// backend is one that can start, ILLIA_ONNX_PROVIDERS=webgpu,cpu or a backend of your own.
if (RUNTIME === 'onnxruntime-web') {
  registerBackend('onnx-webgpu', () =>
    OnnxBackend.create({ name: 'onnx-webgpu', executionProviders: ['webgpu', 'cpu'] }),
  );
}

export { type ExportOnnxOptions, exportOnnx } from './export.js';
export { type GraphStats, MAX_ELEMENTS, OnnxBackend } from './onnx-backend.js';
export {
  type ExecutionProvider,
  type OnnxBackendOptions,
  optionsFromEnv,
  type ResolvedOptions,
} from './options.js';
export type { SessionCacheStats } from './session-cache.js';

/**
 * ONNX Runtime's settings object (`ort.env`) of the runtime this build runs on: in a browser,
 * set `ortEnv.wasm.wasmPaths` to where the page serves onnxruntime-web's `.wasm` files before the
 * first read (see the README); in Node, onnxruntime-node's.
 */
export const ortEnv: typeof ort.env = ort.env;
