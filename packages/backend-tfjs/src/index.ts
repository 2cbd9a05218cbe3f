/**
 * `@illia-ts/backend-tfjs`: the illia-ts kernels on TensorFlow.js. Importing this package
 * registers the backends `tfjs` (its engine: `ILLIA_TFJS_ENGINE`, else the one the app made
 * active in tfjs, else tfjs-node when installed and tfjs-backend-cpu otherwise in Node, else the
 * one tfjs picks in a browser) and `tfjs-wasm` (the wasm engine, `@tensorflow/tfjs-backend-wasm`).
 * `tfjs` becomes current if no backend is.
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
