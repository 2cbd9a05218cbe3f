import { CpuBackend } from '@illia-ts/backend-cpu';
import { describeConformance } from '@illia-ts/conformance';
import { expect, it } from 'vitest';

// Served with COOP/COEP (vitest.config.ts): shared memory, so kernels run on Web Workers. Two
// threads and a low threshold, as in Node, so the suite's larger tensors are split.
const made: CpuBackend[] = [];

it('the page is cross-origin isolated', () => {
  expect(globalThis.crossOriginIsolated).toBe(true);
});

describeConformance({
  name: 'cpu-threads',
  factory: async () => {
    const backend = new CpuBackend({ threads: 2, parallelThreshold: 4096 });
    made.push(backend);
    const threads = await backend.whenReady();
    if (threads !== 2) throw new Error(`cpu-threads: ${threads} thread(s) started, not 2`);
    return backend;
  },
});

it('the suite’s kernels were split between the Web Workers', () => {
  // The factory also makes a second backend for the suite's cross-backend error test.
  expect(made.length).toBeGreaterThan(0);
  expect(made.map((b) => b.threads)).toEqual(made.map(() => 2));
  expect(made[0]?.splitJobs).toBeGreaterThan(0);
});
