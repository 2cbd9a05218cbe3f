/**
 * The worker side of {@link KernelPool}: waits on its control word, reads the job posted to its
 * port, runs its block range, and reports done. `kernel-worker.ts` runs it; tests run it with a
 * hook that injects faults (`faulty-worker.ts`).
 */
import {
  type MessagePort,
  parentPort,
  receiveMessageOnPort,
  workerData,
} from 'node:worker_threads';
import { type Job, runJob } from '../kernels/jobs.js';

import { DONE, EXITED, FAILED, POSTED, STARTED } from './control-words.js';

interface Task {
  readonly job: Job;
  readonly firstBlock: number;
  readonly endBlock: number;
}

/** Serves jobs forever; `beforeJob` (tests) is called with the number of jobs served so far. */
export function serve(beforeJob?: (served: number) => void): never {
  const { control, port } = workerData as { control: Int32Array; port: MessagePort };
  process.on('exit', () => {
    Atomics.store(control, EXITED, 1);
    Atomics.notify(control, DONE);
  });
  Atomics.store(control, STARTED, 1);
  parentPort?.postMessage('ready');

  let seen = 0;
  for (let served = 0; ; served++) {
    Atomics.wait(control, POSTED, seen);
    seen = Atomics.load(control, POSTED);
    beforeJob?.(served);
    const received = receiveMessageOnPort(port);
    try {
      // The main thread posts before it notifies, so the message is there.
      if (received === undefined) throw new Error('kernel-worker: woken without a job');
      const { job, firstBlock, endBlock } = received.message as Task;
      runJob(job, firstBlock, endBlock);
    } catch {
      // The main thread reruns the whole job on its own.
      Atomics.store(control, FAILED, 1);
    }
    Atomics.store(control, DONE, seen);
    Atomics.notify(control, DONE);
  }
}
