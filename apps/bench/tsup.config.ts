import { defineConfig } from 'tsup';
import { library } from '../../tsup.base';

export default defineConfig({
  ...library,
  // cli: the `npm run bench` entry; worker: one subject per child process (clean peak RSS, no
  // shared tfjs engine state); index: the harness as a library, for the smoke test and scripts.
  entry: ['src/cli.ts', 'src/worker.ts', 'src/index.ts'],
  dts: { entry: 'src/index.ts' },
});
