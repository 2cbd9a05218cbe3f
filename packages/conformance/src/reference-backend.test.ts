import { memory, registerBackend, setBackend } from '@illia-ts/core';
import { afterEach, beforeAll, beforeEach, describe, expect } from 'vitest';
import { opTests } from './op-tests.js';
import { createReferenceBackend } from './reference-backend.js';

/** The op tests on kernels that are the references themselves: they test core's definitions. */
describe('op definitions, on the reference backend', () => {
  let backend = createReferenceBackend();
  let liveBefore = 0;
  beforeAll(async () => {
    registerBackend('reference', () => backend);
    backend = await setBackend('reference');
  });
  beforeEach(() => {
    liveBefore = memory().numTensors;
  });
  afterEach(() => {
    expect(memory().numTensors, 'live tensors at the end of the test').toBe(liveBefore);
  });
  opTests({ name: 'reference', backend: () => backend });
});
