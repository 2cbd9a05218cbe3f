import { describeConformance } from '@illia-ts/conformance';
import { OnnxBackend } from './onnx-backend.js';

// Two threads: the suite's 10⁶-element tests run alongside other test files.
describeConformance({
  name: 'onnx',
  factory: () => new OnnxBackend({ intraOpNumThreads: 2 }),
});
