/**
 * `@illia-ts/backend-cpu`: the illia-ts kernels on typed arrays, in TypeScript and WebAssembly
 * SIMD, threaded in Node. Importing this package registers the backend `cpu` (and makes it
 * current if no backend is).
 */
import { registerBackend } from '@illia-ts/core';
import { CpuBackend } from './cpu-backend.js';

// Synchronous, so that `import '@illia-ts/backend-cpu'` makes cpu current at once (a backend
// becomes current as soon as it is ready). Worker threads start in the background; until they are
// up, kernels run on the calling thread with bitwise the same results (`await backend.whenReady()`
// waits for them).
registerBackend('cpu', () => new CpuBackend(), { priority: 1 });

export { CpuBackend, type CpuBackendOptions, type CpuTensor } from './cpu-backend.js';
