import { defineConfig } from 'tsup';
import { library } from '../../tsup.base';

export default defineConfig({
  ...library,
  // `node` holds what needs Node's file system; both entries share one chunk (one registry).
  entry: ['src/index.ts', 'src/node.ts'],
});
