import { describeConformance } from '@illia-ts/conformance';
import { OnnxBackend } from './onnx-backend.js';

// Two threads: the suite's 10⁶-element tests run alongside other test files.
// 240 s per test, a guard against hangs: beside CI's other tasks (load average 20 on 2 cores) the
// learning test took 87 s against its 60 s default.
describeConformance({
  name: 'onnx',
  factory: () => new OnnxBackend({ intraOpNumThreads: 2 }),
  timeout: 240_000,
});
