import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The browser's kernel worker (`src/parallel/web-kernel-worker.ts`), bundled into one classic
 * script: written to `writeTo`/web-kernel-worker.js when given, and put in place of
 * `web-kernel-worker-source.ts` as a string, so the browser entry starts it from a blob URL
 * (nothing for the page's bundler to find or copy).
 */
export const embedWebWorker = (writeTo?: string): Plugin => ({
  name: 'embed-web-kernel-worker',
  setup(b) {
    b.onResolve({ filter: /web-kernel-worker-source\.js$/ }, (args) => ({
      path: args.path,
      namespace: 'web-kernel-worker-source',
    }));
    b.onLoad({ filter: /.*/, namespace: 'web-kernel-worker-source' }, async () => {
      const result = await build({
        entryPoints: [
          fileURLToPath(new URL('../src/parallel/web-kernel-worker.ts', import.meta.url)),
        ],
        bundle: true,
        format: 'iife',
        platform: 'browser',
        target: 'es2022',
        minify: true,
        write: false,
        legalComments: 'none',
      });
      const text = result.outputFiles[0]?.text ?? '';
      if (writeTo !== undefined) {
        mkdirSync(writeTo, { recursive: true });
        writeFileSync(`${writeTo}/web-kernel-worker.js`, text);
      }
      return {
        contents: `export const webKernelWorkerSource = ${JSON.stringify(text)};`,
        loader: 'js',
      };
    });
  },
});
