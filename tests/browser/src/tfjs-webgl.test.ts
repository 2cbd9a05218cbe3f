import '@tensorflow/tfjs-backend-webgl';
import { createTfjsBackend } from '@illia-ts/backend-tfjs';
import { describeConformance } from '@illia-ts/conformance';

describeConformance({
  name: 'tfjs-webgl',
  factory: () => createTfjsBackend({ engine: 'webgl', name: 'tfjs-webgl' }),
});
