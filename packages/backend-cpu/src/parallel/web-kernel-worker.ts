/**
 * The Web Worker side of {@link KernelPool} in a browser: its first message carries its control
 * words, each later one a task (a job and its block range); it claims the range (unless the
 * calling thread did first, see `claim.ts`), runs it and reports done on the control words, which
 * the calling thread watches. Bundled on its own as a classic script
 * (`dist/web-kernel-worker.js`), and embedded in the browser entry, which starts it from a blob.
 */
import { runJob } from '../kernels/jobs.js';
import { claim } from './claim.js';
import { DONE, FAILED, STARTED } from './control-words.js';
import type { Task } from './kernel-pool.js';

interface WorkerScope {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
let control: Int32Array | null = null;

scope.onmessage = ({ data }) => {
  if (control === null) {
    control = (data as { control: Int32Array }).control;
    Atomics.store(control, STARTED, 1);
    scope.postMessage('ready');
    return;
  }
  const { job, firstBlock, endBlock, seq } = data as Task;
  // The calling thread ran it already (it was done first), or this worker is behind: skip.
  if (!claim(control, seq)) return;
  try {
    runJob(job, firstBlock, endBlock);
  } catch {
    // The calling thread reruns the whole job on its own.
    Atomics.store(control, FAILED, 1);
  }
  Atomics.store(control, DONE, seq);
  Atomics.notify(control, DONE);
};
