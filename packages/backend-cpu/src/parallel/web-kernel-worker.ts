/**
 * The Web Worker side of {@link KernelPool} in a browser: its first message carries its control
 * words, each later one a task (a job and its block range); it runs the range and reports done
 * on the control words, which the calling thread watches. Bundled on its own as a classic script
 * (`dist/web-kernel-worker.js`), and embedded in the browser entry, which starts it from a blob.
 */
import { runJob } from '../kernels/jobs.js';
import type { Task } from './kernel-pool.js';

const DONE = 1;
const FAILED = 2;

interface WorkerScope {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
let control: Int32Array | null = null;

scope.onmessage = ({ data }) => {
  if (control === null) {
    control = (data as { control: Int32Array }).control;
    scope.postMessage('ready');
    return;
  }
  const { job, firstBlock, endBlock, seq } = data as Task;
  try {
    runJob(job, firstBlock, endBlock);
  } catch {
    // The calling thread reruns the whole job on its own.
    Atomics.store(control, FAILED, 1);
  }
  Atomics.store(control, DONE, seq);
  Atomics.notify(control, DONE);
};
