/**
 * Worker threads that run block ranges of a {@link Job} next to the main thread, over
 * SharedArrayBuffer memory. Node only, found by feature detection (`process.getBuiltinModule`,
 * Node ≥ 20.16), so the package still loads in browsers, where every kernel runs on one thread.
 *
 * Kernels stay synchronous: the main thread posts each worker its range (the typed arrays travel
 * as views of shared memory, nothing is copied), wakes it through `Atomics.notify`, runs the
 * first range itself, then waits on `Atomics.wait` until every worker is done. A worker reads its
 * message with `receiveMessageOnPort`, so it needs no event loop turn. Spawning is asynchronous:
 * until the workers say they are up, every job runs on the main thread alone, which gives the
 * same bits.
 */
import type * as WorkerThreads from 'node:worker_threads';
import type { Job } from '../kernels/jobs.js';
import { runJob } from '../kernels/jobs.js';

/**
 * Control words shared with each worker: the last job posted, the last job done, an error flag,
 * and a flag the worker sets as it exits (so a dead worker cannot leave the caller waiting).
 */
const POSTED = 0;
const DONE = 1;
const FAILED = 2;
const EXITED = 3;

interface PoolWorker {
  readonly port: WorkerThreads.MessagePort;
  readonly control: Int32Array;
}

/** The worker_threads module where this runtime has one (Node), else null. */
function workerThreads(): typeof WorkerThreads | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return null;
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics?.wait !== 'function') return null;
  return (proc.getBuiltinModule('node:worker_threads') as typeof WorkerThreads | undefined) ?? null;
}

/** True when every array of `job` lives in shared memory, so workers see the same bytes. */
function isShared(job: Job): boolean {
  for (const value of Object.values(job)) {
    if (ArrayBuffer.isView(value) && !(value.buffer instanceof SharedArrayBuffer)) return false;
  }
  return true;
}

/** Workers that run block ranges of jobs alongside the calling thread. */
export class KernelPool {
  readonly #workers: PoolWorker[] = [];
  readonly #ready: Promise<boolean>;
  #up = false;
  #seq = 0;
  #partials: Float64Array = new Float64Array(0);

  private constructor(threads: typeof WorkerThreads, count: number, url: URL) {
    const started: Promise<boolean>[] = [];
    for (let w = 0; w < count; w++) {
      const control = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
      const { port1, port2 } = new threads.MessageChannel();
      const worker = new threads.Worker(url, {
        workerData: { control, port: port2 },
        transferList: [port2],
      });
      this.#workers.push({ port: port1, control });
      started.push(
        new Promise<boolean>((resolve) => {
          worker.once('message', () => resolve(true));
          worker.once('error', () => resolve(false));
          worker.once('exit', () => resolve(false));
        }).then((ok) => {
          // Up (or dead): it must not keep the process alive.
          worker.unref();
          port1.unref();
          return ok;
        }),
      );
    }
    this.#ready = Promise.all(started).then((oks) => {
      this.#up = oks.every(Boolean);
      return this.#up;
    });
  }

  /**
   * A pool of `threads − 1` workers (the caller is the other thread), or null where worker
   * threads are unavailable or not wanted.
   */
  static create(threads: number, url: URL): KernelPool | null {
    if (threads < 2) return null;
    const module = workerThreads();
    return module === null ? null : new KernelPool(module, threads - 1, url);
  }

  /** Threads that run a job when the workers are up (the caller included). */
  get threads(): number {
    return this.#up ? this.#workers.length + 1 : 1;
  }

  /** How many jobs were split between threads so far (for tests: a split is otherwise silent). */
  get splitJobs(): number {
    return this.#seq;
  }

  /** Resolves when the workers are up (true) or failed to start (false: jobs stay on one thread). */
  whenReady(): Promise<boolean> {
    return this.#ready;
  }

  /**
   * Runs `job` over `numBlocks` blocks, split between the workers and the caller when they are up
   * and the job's arrays are shared; for `logRatio`, returns the total in block order.
   */
  run(job: Job, numBlocks: number): number {
    const parts = Math.min(this.threads, numBlocks);
    if (parts < 2 || !isShared(job)) return runJob(job, 0, numBlocks);
    let partials: Float64Array | null = null;
    if (job.kind === 'logRatio') {
      if (this.#partials.length < numBlocks) {
        this.#partials = new Float64Array(new SharedArrayBuffer(numBlocks * 8 * 2));
      }
      partials = this.#partials;
      job.partials = partials;
    }
    const seq = ++this.#seq;
    const bound = (p: number) => Math.floor((numBlocks * p) / parts);
    for (let p = 1; p < parts; p++) {
      const worker = this.#workers[p - 1] as PoolWorker;
      worker.port.postMessage({ job, firstBlock: bound(p), endBlock: bound(p + 1) });
      Atomics.store(worker.control, POSTED, seq);
      Atomics.notify(worker.control, POSTED);
    }
    runJob(job, 0, bound(1));
    let failed = false;
    for (let p = 1; p < parts; p++) {
      const { control } = this.#workers[p - 1] as PoolWorker;
      for (
        let done = Atomics.load(control, DONE);
        done !== seq;
        done = Atomics.load(control, DONE)
      ) {
        if (Atomics.load(control, EXITED) !== 0) {
          this.#up = false;
          failed = true;
          break;
        }
        Atomics.wait(control, DONE, done, 1000);
      }
      if (Atomics.exchange(control, FAILED, 0) !== 0) failed = true;
    }
    if (failed) {
      // A worker threw or exited (it should not): the caller runs the whole job on one thread.
      if (job.kind === 'logRatio') job.partials = null;
      return runJob(job, 0, numBlocks);
    }
    if (partials === null) return 0;
    let total = 0;
    for (let b = 0; b < numBlocks; b++) total += partials[b] as number;
    return total;
  }
}
