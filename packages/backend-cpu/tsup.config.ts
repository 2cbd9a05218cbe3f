import { defineConfig } from 'tsup';
import { library } from '../../tsup.base';

export default defineConfig({
  ...library,
  // The worker is its own bundle: `new URL('./kernel-worker.js', import.meta.url)` finds it.
  entry: { index: 'src/index.ts', 'kernel-worker': 'src/parallel/kernel-worker.ts' },
  dts: { entry: { index: 'src/index.ts' } },
});
