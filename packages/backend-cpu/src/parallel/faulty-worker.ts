/**
 * For tests only (bundled by `test-worker.ts`, never shipped): a kernel worker that hangs, to
 * check that the pool does not wait for it forever. Set before the pool starts:
 * - `ILLIA_TEST_FAULT`: `start` (never says it is up), `wait` (up, then blocks forever in
 *   `Atomics.wait` on a job) or `spin` (up, then loops forever on a job);
 * - `ILLIA_TEST_FAULT_LOCK`: a directory path that must not exist: the first worker to create it
 *   is the faulty one, the others serve jobs as `kernel-worker.ts` does;
 * - `ILLIA_TEST_FAULT_AFTER`: how many jobs it serves before it hangs (default 0).
 */
import { mkdirSync } from 'node:fs';
import { serve } from './worker-loop.js';

const fault = process.env.ILLIA_TEST_FAULT;
const lock = process.env.ILLIA_TEST_FAULT_LOCK;
const after = Number(process.env.ILLIA_TEST_FAULT_AFTER ?? 0);

/** True for the one worker that creates the lock directory. */
function claim(): boolean {
  if (lock === undefined) return true;
  try {
    mkdirSync(lock);
    return true;
  } catch {
    return false;
  }
}

const faulty = claim();

function hang(): never {
  if (fault === 'spin') for (;;);
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

if (faulty && fault === 'start') hang();
serve(faulty ? (served) => (served >= after ? hang() : undefined) : undefined);
