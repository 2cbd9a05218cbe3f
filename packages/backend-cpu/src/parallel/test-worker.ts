/**
 * For tests that run from the TypeScript sources: bundles `kernel-worker.ts` into a JavaScript
 * file a worker thread can load (Node 20 runs no TypeScript), so the workers run the same kernels
 * as the code under test rather than a possibly stale `dist`.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

let built: Promise<URL> | undefined;

/**
 * The URL of a fresh bundle of the kernel worker, built once per test process into a folder of
 * its own: vitest runs test files in parallel processes, and one must never load a bundle that
 * another is still writing.
 */
export function testWorkerUrl(): Promise<URL> {
  built ??= (async () => {
    const outDir = fileURLToPath(
      new URL(`../../node_modules/.cache/kernel-worker/${process.pid}`, import.meta.url),
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
    // Workers have loaded it by the time the process exits.
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    return pathToFileURL(`${outDir}/kernel-worker.js`);
  })();
  return built;
}
