/**
 * `@illia-ts/backend-tfjs`: the illia-ts kernels on TensorFlow.js. Importing this package
 * registers one backend per tfjs engine, each on its engine whatever the order of the imports:
 * `tfjs` (tfjs's cpu engine, `@tensorflow/tfjs-backend-cpu`; in Node `ILLIA_TFJS_ENGINE` may name
 * another) and `tfjs-wasm`; in a browser also `tfjs-webgl` and `tfjs-webgpu`. An engine's package
 * is imported when its backend is first set (in a page, the app imports it). `tfjs` becomes
 * current if no backend is.
 */
import { registerBackend } from '@illia-ts/core';
import { backendEngines } from './engines.js';
import { createTfjsBackend } from './tfjs-backend.js';

for (const [name, engine] of Object.entries(backendEngines())) {
  registerBackend(
    name,
    // `tfjs` names no engine: its default (ILLIA_TFJS_ENGINE in Node, else cpu).
    () => createTfjsBackend(name === 'tfjs' ? {} : { engine, name }),
    name === 'tfjs' ? { priority: 1 } : {},
  );
}

export type { EngineTraits } from './engine-traits.js';
export { backendEngines, ENGINE_ENV } from './engines.js';
export {
  createTfjsBackend,
  TfjsBackend,
  type TfjsBackendOptions,
  type TfjsTensor,
} from './tfjs-backend.js';
