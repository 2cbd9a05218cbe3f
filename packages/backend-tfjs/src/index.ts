/**
 * `@illia-ts/backend-tfjs`: the illia-ts kernels on TensorFlow.js. Importing this package
 * registers the backends `tfjs` (the default engine: `ILLIA_TFJS_ENGINE`, else tfjs-node when
 * installed, else tfjs-backend-cpu in Node; the engine tfjs picks in a browser) and `tfjs-wasm`
 * (the wasm engine, `@tensorflow/tfjs-backend-wasm`). `tfjs` becomes current if no backend is.
 */
import { registerBackend } from '@illia-ts/core';
import { createTfjsBackend } from './tfjs-backend.js';

registerBackend('tfjs', () => createTfjsBackend(), { priority: 1 });
registerBackend('tfjs-wasm', () => createTfjsBackend({ engine: 'wasm', name: 'tfjs-wasm' }));

export type { EngineTraits } from './engine-traits.js';
export { ENGINE_ENV } from './engines.js';
export {
  createTfjsBackend,
  TfjsBackend,
  type TfjsBackendOptions,
  type TfjsTensor,
} from './tfjs-backend.js';
