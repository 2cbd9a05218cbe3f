import { describeConformance } from '@illia-ts/conformance';
import { CpuBackend } from './cpu-backend.js';
import { testWorkerUrl } from './parallel/test-worker.js';

// Two threads and a low threshold, so the suite's larger tensors (10⁴ to 10⁶) go through workers.
describeConformance({
  name: 'cpu',
  factory: async () => {
    const backend = new CpuBackend({
      threads: 2,
      parallelThreshold: 4096,
      workerUrl: await testWorkerUrl(),
    });
    if ((await backend.whenReady()) !== 2) throw new Error('cpu: the worker thread did not start');
    return backend;
  },
});
