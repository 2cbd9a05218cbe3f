import { defineConfig } from 'tsup';

export default defineConfig({
  // proto: the ONNX protobuf writer on its own (`@illia-ts/backend-onnx/proto`), for tools.
  entry: { index: 'src/index.ts', proto: 'src/proto/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
