import { defineConfig } from 'tsup';
import { library } from '../../tsup.base';

export default defineConfig({
  ...library,
  // proto: the ONNX protobuf writer on its own (`@illia-ts/backend-onnx/proto`), for tools.
  entry: { index: 'src/index.ts', proto: 'src/proto/index.ts' },
});
