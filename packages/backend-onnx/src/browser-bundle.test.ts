/**
 * What a browser app gets: core and this package (its browser build, on onnxruntime-web) bundled by esbuild for browsers, the way an app's
 * build does it. Nothing in it may need Node: esbuild's browser platform fails on a Node builtin
 * (`fs`, `worker_threads`, …), and nothing may be left for the page to import.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const work = join(root, 'node_modules', '.cache', `browser-bundle-${process.pid}`);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('a browser bundle of core + backend-onnx', () => {
  it('builds for the browser platform with no Node-only import and no external import', async () => {
    mkdirSync(work, { recursive: true });
    const entry = join(work, 'app.mjs');
    writeFileSync(
      entry,
      `import { ready, tensor } from '@illia-ts/core';
      import ${JSON.stringify(join(root, 'src', 'index.ts'))};
      const b = await ready();
      console.log(b.name, await tensor([1]).data());`,
    );
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    // Core's Node-only entry (file io) stays out of its main entry.
    expect(
      inputs.filter((p) =>
        /packages\/core\/(dist|src)\/(node|io\/)|^\.\.\/core\/(dist|src)\/(node|io\/)/.test(p),
      ),
    ).toEqual([]);
    expect(inputs.some((p) => /(^|\/)core\/dist\/index\.js$/.test(p))).toBe(true);
    // A builtin a dependency's package.json `browser` field disables is an empty stand-in.
    const builtins = inputs.filter((p) =>
      /^(node:|worker_threads|fs|os|path|child_process)/.test(p),
    );
    expect(builtins).toEqual([]);
    // The browser's ONNX Runtime, never the native one.
    expect(inputs.some((p) => p.includes('onnxruntime-web/dist/ort.bundle.min.mjs'))).toBe(true);
    expect(inputs.filter((p) => p.includes('onnxruntime-node'))).toEqual([]);
    expect(inputs.filter((p) => p.includes('src/ort/node.ts'))).toEqual([]);
    const [output] = Object.values(result.metafile.outputs);
    expect(output?.imports).toEqual([]);
  });
});
