import { describeConformance } from '@illia-ts/conformance';
import { createTfjsBackend } from './tfjs-backend.js';

// The whole suite on each engine the package supports in Node. The wasm engine is a
// devDependency, so it is always there for these tests.
describeConformance({ name: 'tfjs', factory: () => createTfjsBackend({ engine: 'cpu' }) });
describeConformance({
  name: 'tfjs-wasm',
  factory: () => createTfjsBackend({ engine: 'wasm', name: 'tfjs-wasm' }),
});
