/**
 * `@illia-ts/backend-onnx`: illia-ts on ONNX Runtime (onnxruntime-node). Importing this package
 * registers the backends `onnx` (cpu provider), `onnx-webgpu` and `onnx-cuda` (each with cpu for
 * the ops its provider lacks); `onnx` becomes current if no backend is.
 */
import { registerBackend } from '@illia-ts/core';
import { OnnxBackend } from './onnx-backend.js';

// Above cpu (1): a user who installed ONNX Runtime wants its native kernels.
registerBackend('onnx', () => new OnnxBackend(), { priority: 2 });
// GPU variants are never picked implicitly: they start only when named, and fail clearly.
registerBackend(
  'onnx-webgpu',
  () => OnnxBackend.create({ name: 'onnx-webgpu', executionProviders: ['webgpu', 'cpu'] }),
  { priority: -1 },
);
registerBackend(
  'onnx-cuda',
  () => OnnxBackend.create({ name: 'onnx-cuda', executionProviders: ['cuda', 'cpu'] }),
  { priority: -1 },
);

export { OnnxBackend } from './onnx-backend.js';
export type { ExecutionProvider, OnnxBackendOptions, ResolvedOptions } from './options.js';
export type { SessionCacheStats } from './session-cache.js';
