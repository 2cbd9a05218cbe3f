import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker is its own bundle: `new URL('./kernel-worker.js', import.meta.url)` finds it.
  entry: { index: 'src/index.ts', 'kernel-worker': 'src/parallel/kernel-worker.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
