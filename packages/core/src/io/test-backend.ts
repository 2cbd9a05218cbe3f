/** For core's io tests: the reference backend, registered once under a name and made current. */
import type { Backend } from '../backend.js';
import { registerBackend, setBackend } from '../engine.js';
import { createReferenceBackend } from '../reference-backend.js';

/** Registers a reference backend under `name` (once) and makes it current. */
export async function useTestBackend(name = 'io-test'): Promise<Backend> {
  registerBackend(name, () => createReferenceBackend(name));
  return setBackend(name);
}
