/**
 * `@illia-ts/backend-cpu`: the illia-ts kernels in plain TypeScript. Importing this package
 * registers the backend `cpu` (and makes it current if no backend is).
 */
import { registerBackend } from '@illia-ts/core';
import { CpuBackend } from './cpu-backend.js';

registerBackend('cpu', () => new CpuBackend(), { priority: 1 });

export { CpuBackend, type CpuTensor } from './cpu-backend.js';
