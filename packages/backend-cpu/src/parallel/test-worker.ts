/**
 * For tests that run from the TypeScript sources: bundles them into JavaScript that Node 20 can
 * load (it runs no TypeScript), so worker threads and child processes run the code under test
 * rather than a possibly stale `dist`.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

const cache = fileURLToPath(new URL('../../node_modules/.cache/kernel-worker', import.meta.url));
mkdirSync(cache, { recursive: true });
const built = new Map<string, Promise<URL>>();

/** Bundles `entries` (name → source path from `src/`) into `outDir`, `@illia-ts/core` left out. */
async function bundle(entries: Record<string, string>, outDir: string): Promise<void> {
  const entry: Record<string, string> = {};
  for (const [name, path] of Object.entries(entries)) {
    entry[name] = fileURLToPath(new URL(`../${path}`, import.meta.url));
  }
  await build({
    entry,
    outDir,
    format: ['esm'],
    target: 'es2022',
    silent: true,
    config: false,
    dts: false,
    clean: false,
    external: ['@illia-ts/core'],
  });
}

/**
 * The URL of a fresh bundle of a worker script, `kernel-worker` (default) or `faulty-worker`
 * (fault injection), built once per test process. Vitest runs test files in parallel processes,
 * so each builds into a folder of its own and then renames the file into place: a rename is
 * atomic, and no process can load a bundle another is still writing.
 */
export function testWorkerUrl(
  name: 'kernel-worker' | 'faulty-worker' = 'kernel-worker',
): Promise<URL> {
  let url = built.get(name);
  if (url === undefined) {
    url = (async () => {
      const outDir = mkdtempSync(join(cache, `${name}-`));
      await bundle({ [name]: `parallel/${name}.ts` }, outDir);
      const file = join(cache, `${name}.js`);
      renameSync(join(outDir, `${name}.js`), file);
      rmSync(outDir, { recursive: true, force: true });
      return pathToFileURL(file);
    })();
    built.set(name, url);
  }
  return url;
}

let packageBuilt: Promise<URL> | undefined;
let packageDir: string | undefined;

/**
 * The URL of a bundle of the package's entry (`src/index.ts`, with `kernel-worker.js` beside it,
 * as in `dist`), for child processes that import it; in a folder of this process's own (see
 * {@link removeTestPackage}), inside the package so that `@illia-ts/core` resolves.
 */
export function testPackageUrl(): Promise<URL> {
  packageBuilt ??= (async () => {
    // Folders left by processes that did not exit normally (a killed test run).
    for (const name of readdirSync(cache)) {
      const dir = join(cache, name);
      if (name.startsWith('package-') && statSync(dir).mtimeMs < Date.now() - 3_600_000) {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const outDir = mkdtempSync(join(cache, 'package-'));
    packageDir = outDir;
    await bundle({ index: 'index.ts', 'kernel-worker': 'parallel/kernel-worker.ts' }, outDir);
    return pathToFileURL(join(outDir, 'index.js'));
  })();
  return packageBuilt;
}

/** Removes the bundle {@link testPackageUrl} made, if any (call once the children are done). */
export function removeTestPackage(): void {
  if (packageDir !== undefined) rmSync(packageDir, { recursive: true, force: true });
  packageDir = undefined;
  packageBuilt = undefined;
}
