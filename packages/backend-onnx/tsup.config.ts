import { defineConfig } from 'tsup';
import { library } from '../../tsup.base';

/**
 * Two builds of one source: `dist/index.js` for Node (ONNX Runtime from onnxruntime-node) and
 * `dist/browser.js` for browsers (onnxruntime-web). The source imports ONNX Runtime only as
 * `#ort` (package.json `imports`), which esbuild resolves with the build's platform conditions:
 * `default` → src/ort/node.ts, `browser` → src/ort/web.ts. Both runtimes stay imports (they are
 * dependencies); package.json `exports` gives each environment its build. The declarations are
 * one set, from the Node build: the API is the same.
 */
export default defineConfig([
  {
    ...library,
    // proto: the ONNX protobuf writer on its own (`@illia-ts/backend-onnx/proto`), for tools.
    entry: { index: 'src/index.ts', proto: 'src/proto/index.ts' },
    platform: 'node',
  },
  {
    ...library,
    entry: { browser: 'src/index.ts' },
    platform: 'browser',
    dts: false,
    // The Node build cleans dist; two cleans would race.
    clean: false,
  },
]);
