import { CpuBackend } from '@illia-ts/backend-cpu';
import { describeConformance } from '@illia-ts/conformance';
import { expect, it } from 'vitest';

// A page that is not cross-origin isolated has no shared memory: one thread, whatever is asked.
it('a page that is not cross-origin isolated runs cpu on one thread', async () => {
  expect(globalThis.crossOriginIsolated).toBe(false);
  expect(await new CpuBackend({ threads: 2 }).whenReady()).toBe(1);
});

describeConformance({ name: 'cpu', factory: () => new CpuBackend() });
