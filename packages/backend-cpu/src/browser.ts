/**
 * `@illia-ts/backend-cpu` in browsers (the `browser` condition of the package's exports, which
 * esbuild, Vite, webpack and Rollup's node-resolve pick for a browser bundle): the same backend,
 * with its Web Worker script embedded, so a bundled page needs no file of this package to run
 * kernels on several threads. Importing it registers the backend `cpu` (current if no backend is).
 *
 * Threads need shared memory, which a page has only when it is cross-origin isolated
 * (`crossOriginIsolated` is true: served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`); elsewhere every kernel runs on the page's thread.
 * `backend.threads` says how many are in use (after `await backend.whenReady()`).
 */
import { registerBackend } from '@illia-ts/core';
import { CpuBackend } from './cpu-backend.js';
import { setWebWorkerSource } from './parallel/kernel-pool.js';
import { webKernelWorkerSource } from './parallel/web-kernel-worker-source.js';

setWebWorkerSource(webKernelWorkerSource);
registerBackend('cpu', () => new CpuBackend(), { priority: 1 });

export { CpuBackend, type CpuBackendOptions, type CpuTensor } from './cpu-backend.js';
