/**
 * `@illia-ts/backend-cpu`: the illia-ts kernels in plain TypeScript. Importing this package
 * registers the backend `cpu` (and makes it current if no backend is).
 */
import { registerBackend } from '@illia-ts/core';
import { CpuBackend } from './cpu-backend.js';

// In Node the factory waits for the worker threads (tens of ms), so large kernels use every core
// from the first call; where there are none it resolves at once.
registerBackend(
  'cpu',
  async () => {
    const backend = new CpuBackend();
    await backend.whenReady();
    return backend;
  },
  { priority: 1 },
);

export { CpuBackend, type CpuBackendOptions, type CpuTensor } from './cpu-backend.js';
