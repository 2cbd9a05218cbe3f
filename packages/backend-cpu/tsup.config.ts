import { defineConfig } from 'tsup';
import { library } from '../../tsup.base';
import { embedWebWorker } from './build/embed-web-worker';

export default defineConfig({
  ...library,
  // The Node worker is its own bundle: `new URL('./kernel-worker.js', import.meta.url)` finds it.
  entry: {
    index: 'src/index.ts',
    browser: 'src/browser.ts',
    'kernel-worker': 'src/parallel/kernel-worker.ts',
  },
  dts: { entry: { index: 'src/index.ts', browser: 'src/browser.ts' } },
  esbuildPlugins: [embedWebWorker('dist')],
});
