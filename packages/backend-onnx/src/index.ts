/**
 * `@illia-ts/backend-onnx`: illia-ts on ONNX Runtime (onnxruntime-node). Importing this package
 * registers the backend `onnx`, which becomes current if no backend is.
 *
 * Its execution providers and threads come from the environment, so that a program picks them
 * without code: `ILLIA_ONNX_PROVIDERS` (comma-separated, such as `cuda,cpu`; default `cpu`) and
 * `ILLIA_ONNX_THREADS` (threads per op; default ONNX Runtime's choice). For other settings,
 * register a backend of your own: `registerBackend('onnx-gpu', () => OnnxBackend.create({...}))`.
 */
import { registerBackend } from '@illia-ts/core';
import { OnnxBackend } from './onnx-backend.js';
import { optionsFromEnv } from './options.js';

registerBackend(
  'onnx',
  () => {
    const options = optionsFromEnv();
    // cpu needs no probe: make it synchronously, so that it is current as soon as imported.
    return options.executionProviders === undefined
      ? new OnnxBackend(options)
      : OnnxBackend.create(options);
  },
  { priority: 1 },
);

export { type GraphStats, OnnxBackend } from './onnx-backend.js';
export {
  type ExecutionProvider,
  type OnnxBackendOptions,
  optionsFromEnv,
  type ResolvedOptions,
} from './options.js';
export type { SessionCacheStats } from './session-cache.js';
