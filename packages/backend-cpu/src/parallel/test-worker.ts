/**
 * For tests that run from the TypeScript sources: bundles `kernel-worker.ts` into a JavaScript
 * file a worker thread can load (Node 20 runs no TypeScript), so the workers run the same kernels
 * as the code under test rather than a possibly stale `dist`.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

let built: Promise<URL> | undefined;

/** The URL of a fresh bundle of the kernel worker, built once per test process. */
export function testWorkerUrl(): Promise<URL> {
  built ??= (async () => {
    const outDir = fileURLToPath(
      new URL('../../node_modules/.cache/kernel-worker', import.meta.url),
    );
    await build({
      entry: { 'kernel-worker': fileURLToPath(new URL('./kernel-worker.ts', import.meta.url)) },
      outDir,
      format: ['esm'],
      target: 'es2022',
      silent: true,
      config: false,
      dts: false,
      clean: false,
    });
    return pathToFileURL(`${outDir}/kernel-worker.js`);
  })();
  return built;
}
