import { defineConfig } from 'tsup';
import { app } from '../../tsup.base';

export default defineConfig({
  ...app,
  entry: ['src/cli.ts', 'src/names.ts'],
});
