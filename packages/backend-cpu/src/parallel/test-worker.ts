/**
 * For tests that run from the TypeScript sources: bundles `kernel-worker.ts` into a JavaScript
 * file a worker thread can load (Node 20 runs no TypeScript), so the workers run the same kernels
 * as the code under test rather than a possibly stale `dist`.
 */
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

let built: Promise<URL> | undefined;

/**
 * The URL of a fresh bundle of the kernel worker, built once per test process. Vitest runs test
 * files in parallel processes, so each builds into a folder of its own and then renames the file
 * into place: a rename is atomic, and no process can load a bundle another is still writing.
 */
export function testWorkerUrl(): Promise<URL> {
  built ??= (async () => {
    const cache = fileURLToPath(
      new URL('../../node_modules/.cache/kernel-worker', import.meta.url),
    );
    const outDir = join(cache, String(process.pid));
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
    const file = join(cache, 'kernel-worker.js');
    renameSync(join(outDir, 'kernel-worker.js'), file);
    rmSync(outDir, { recursive: true, force: true });
    return pathToFileURL(file);
  })();
  return built;
}
