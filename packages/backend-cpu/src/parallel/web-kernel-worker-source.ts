/**
 * The Web Worker script (`web-kernel-worker.ts`) as text, for the browser entry to start from a
 * blob URL. The package build (`tsup.config.ts`) replaces this module with the bundled script;
 * from the sources (tests in Node) it is null, and a page would run kernels on one thread.
 */
export const webKernelWorkerSource: string | null = null;
