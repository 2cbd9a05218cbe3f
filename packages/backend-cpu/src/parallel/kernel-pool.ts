/**
 * Workers that run block ranges of a {@link Job} next to the calling thread, over
 * SharedArrayBuffer memory: Node's worker threads in Node (found by feature detection,
 * `process.getBuiltinModule`, Node ≥ 20.16), Web Workers in a browser page that is cross-origin
 * isolated (`crossOriginIsolated`, from the COOP and COEP headers; without it a page has no
 * shared memory, and every kernel runs on one thread).
 *
 * Kernels stay synchronous: the caller posts each worker its range (the typed arrays travel as
 * views of shared memory, nothing is copied), wakes it through `Atomics.notify`, runs the first
 * range itself, then waits until every worker is done: on `Atomics.wait` where the thread may
 * block (Node, a Web Worker), spinning on `Atomics.load` on a page's main thread, which may not.
 * A Node worker reads its message with `receiveMessageOnPort`, so it needs no event loop turn; a
 * Web Worker gets it as an ordinary message. Spawning is asynchronous: until the workers say they
 * are up, every job runs on the calling thread alone, which gives the same bits.
 *
 * A worker that does not answer is not waited for forever: one that has not started within the
 * timeout, or has not finished its range of a job within the timeout (or ten times the caller's
 * own time on its range, if longer) after the caller finished, is terminated and dropped from the
 * pool with a process warning, and the caller reruns the whole job on its own (every kernel
 * writes each output element without reading it, so a rerun gives the same bits). The pool goes
 * on with the workers left.
 */
import type * as WorkerThreads from 'node:worker_threads';
import type { Job } from '../kernels/jobs.js';
import { runJob } from '../kernels/jobs.js';
import { warn } from '../warn.js';
import { claim } from './claim.js';
import { CONTROL_WORDS, DONE, EXITED, FAILED, POSTED, STARTED } from './control-words.js';

/** A worker is hung when it takes this many times the caller's time on its range (or the timeout). */
const HUNG_FACTOR = 10;

/** What a worker is sent for each job: its block range, and the job's number. */
export interface Task {
  readonly job: Job;
  readonly firstBlock: number;
  readonly endBlock: number;
  readonly seq: number;
}

/** One worker, whatever runs it (Node's worker_threads, a Web Worker). */
export interface PoolWorker {
  readonly control: Int32Array;
  /** Hands the worker a task (the caller then bumps POSTED and notifies). */
  post(task: Task): void;
  /** Stops it for good. */
  stop(): void;
}

/** Starts workers: Node's worker threads or Web Workers. */
export interface WorkerHost {
  /** `'Worker threads'` or `'Web Workers'`, for messages. */
  readonly kind: string;
  /** Starts one worker over `control`; `up` resolves when it says it is ready, or failed. */
  start(control: Int32Array): { worker: PoolWorker; up: Promise<boolean> };
  /**
   * Whether the calling thread may block in `Atomics.wait` (not on a browser page's main thread,
   * which then spins on `Atomics.load`: kernels are synchronous, so it waits either way).
   */
  readonly canBlock: boolean;
  /**
   * Whether its workers claim their range before running it (see `claim.ts`), so that the caller,
   * done with its own range, runs those not yet started rather than waiting: Web Workers, which
   * get each job through their event loop. Node's workers are woken directly and do not claim.
   */
  readonly claims: boolean;
}

/** The worker_threads module where this runtime has one (Node), else null. */
function workerThreads(): typeof WorkerThreads | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return null;
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics?.wait !== 'function') return null;
  return (proc.getBuiltinModule('node:worker_threads') as typeof WorkerThreads | undefined) ?? null;
}

/**
 * The Node options a worker is given: none of its own (it inherits the parent's, where Node drops
 * process-wide ones such as `--expose-gc` by itself) unless the parent has `--input-type`
 * (`node --input-type=module -e …`), with which a worker refuses to load its script: then the
 * parent's less that one, and less the flags Node refuses in a worker's execArgv (V8's and
 * process-wide ones, such as `--expose-gc`), which it would otherwise reject outright.
 */
function workerExecArgv(): string[] | undefined {
  const args = (globalThis as { process?: { execArgv?: string[] } }).process?.execArgv ?? [];
  if (!args.some((arg) => arg.startsWith('--input-type'))) return undefined;
  const perThread = (
    globalThis as { process?: { allowedNodeEnvironmentFlags?: ReadonlySet<string> } }
  ).process?.allowedNodeEnvironmentFlags;
  return args
    .filter((arg, i) => {
      if (arg.startsWith('--input-type') || args[i - 1] === '--input-type') return false;
      const name = arg.split('=')[0] as string;
      return !name.startsWith('--') || perThread === undefined || perThread.has(name);
    })
    .filter((arg) => !/^--(expose[-_]gc|max[-_]old[-_]space[-_]size|title)/.test(arg));
}

/**
 * Node's worker threads running `url` (default `kernel-worker.js` next to this module). A worker
 * reads its task with `receiveMessageOnPort` when woken, so it needs no event loop turn; once up
 * (or dead) it does not keep the process alive.
 */
function nodeHost(threads: typeof WorkerThreads, url: URL | undefined): WorkerHost {
  // Made here, not at import: where `import.meta` is empty (an iife bundle), this would throw.
  const script = url ?? new URL('./kernel-worker.js', import.meta.url);
  return {
    kind: 'worker threads',
    canBlock: true,
    claims: false,
    start(control) {
      const { port1, port2 } = new threads.MessageChannel();
      const worker = new threads.Worker(script, {
        workerData: { control, port: port2 },
        transferList: [port2],
        execArgv: workerExecArgv(),
      });
      const up = new Promise<boolean>((resolve) => {
        worker.once('message', () => resolve(true));
        worker.once('error', () => resolve(false));
        worker.once('exit', () => resolve(false));
      });
      void up.then(() => {
        worker.unref();
        port1.unref();
      });
      return {
        up,
        worker: {
          control,
          post: (task) => port1.postMessage(task),
          stop: () => {
            port1.close();
            void worker.terminate().catch(() => undefined);
          },
        },
      };
    },
  };
}

/** The script of the browser's kernel workers, as set by the browser entry (`browser.ts`). */
let webWorkerSource: string | null = null;
let webWorkerBlobUrl: string | null = null;

/**
 * Sets the source of the Web Worker script (`web-kernel-worker.ts` bundled as a classic script),
 * which workers load from a blob URL, so that a bundled page needs no file of this package.
 */
export function setWebWorkerSource(source: string | null): void {
  webWorkerSource = source;
  webWorkerBlobUrl = null;
}

interface WebWorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
}

/** True where this page (or worker) may share memory with Web Workers: cross-origin isolated. */
export function webWorkersShareMemory(): boolean {
  const scope = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  return (
    scope.crossOriginIsolated === true &&
    typeof scope.Worker === 'function' &&
    typeof SharedArrayBuffer === 'function'
  );
}

/** Whether this thread may block in `Atomics.wait` (a page's main thread may not). */
function threadCanBlock(): boolean {
  try {
    // A value that does not match: returns "not-equal" at once where waiting is allowed, throws
    // (TypeError) where it is not.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Web Workers running `url`, else the embedded script (see {@link setWebWorkerSource}); null when
 * there is neither. A worker gets its control words in its first message, then one task per
 * message (its event loop is idle between jobs); the caller waits on the DONE word.
 */
function webHost(url: URL | undefined): WorkerHost | null {
  let script: string;
  if (url !== undefined) script = url.href;
  else if (webWorkerSource === null) return null;
  else {
    webWorkerBlobUrl ??= URL.createObjectURL(
      new Blob([webWorkerSource], { type: 'text/javascript' }),
    );
    script = webWorkerBlobUrl;
  }
  const WorkerClass = (
    globalThis as unknown as {
      Worker: new (url: string, options?: { name?: string }) => WebWorkerLike;
    }
  ).Worker;
  return {
    kind: 'Web Workers',
    canBlock: threadCanBlock(),
    claims: true,
    start(control) {
      const worker = new WorkerClass(script, { name: 'illia-ts cpu kernels' });
      const up = new Promise<boolean>((resolve) => {
        worker.addEventListener('message', (event) => {
          if (event.data === 'ready') resolve(true);
        });
        worker.addEventListener('error', () => {
          // One that fails later (its script throws outside a job: it should not) counts as exited.
          Atomics.store(control, EXITED, 1);
          resolve(false);
        });
      });
      worker.postMessage({ control });
      return {
        up,
        worker: {
          control,
          post: (task) => worker.postMessage(task),
          stop: () => worker.terminate(),
        },
      };
    },
  };
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
  /** The workers in use: none until they are up, then those that started (and still answer). */
  #workers: PoolWorker[] = [];
  readonly #ready: Promise<boolean>;
  readonly #timeout: number;
  readonly #host: WorkerHost;
  #seq = 0;
  #ranRanges = 0;
  #postedRanges = 0;
  #partials: Float64Array = new Float64Array(0);

  private constructor(host: WorkerHost, count: number, timeout: number) {
    this.#timeout = timeout;
    this.#host = host;
    const started: Promise<{ entry: PoolWorker; state: 'up' | 'failed' | 'hung' }>[] = [];
    for (let w = 0; w < count; w++) {
      const control = new Int32Array(
        new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT),
      );
      let entry: PoolWorker;
      let up: Promise<boolean>;
      try {
        ({ worker: entry, up } = host.start(control));
      } catch {
        // A worker that cannot even be made (a content security policy refusing blob: workers):
        // one thread fewer.
        continue;
      }
      started.push(
        new Promise<'up' | 'failed' | 'hung'>((resolve) => {
          void up.then((ok) => resolve(ok ? 'up' : 'failed'));
          // One that never says it is up is given up on (a later resolve changes nothing); one
          // whose message waits behind this timer (the caller was busy) set its STARTED word.
          const timer = setTimeout(
            () => resolve(Atomics.load(control, STARTED) === 1 ? 'up' : 'hung'),
            timeout,
          ) as { unref?: () => void };
          timer.unref?.();
        }).then((state) => {
          if (state !== 'up') entry.stop();
          return { entry, state };
        }),
      );
    }
    this.#ready = Promise.all(started).then((outcomes) => {
      this.#workers = outcomes.filter((o) => o.state === 'up').map((o) => o.entry);
      const hung = outcomes.filter((o) => o.state === 'hung').length;
      if (hung > 0) {
        warn(
          `CpuBackend: ${hung} of ${count} ${host.kind} did not start within ${timeout} ms and were stopped; kernels use ${this.threads} thread${this.threads > 1 ? 's' : ''}`,
          'ILLIA_CPU_WORKERS',
        );
      }
      return this.#workers.length > 0;
    });
  }

  /**
   * A pool of `threads − 1` workers (the caller is the other thread), or null where workers are
   * unavailable or not wanted: Node's worker threads in Node; in a browser, Web Workers where the
   * page is cross-origin isolated (COOP and COEP headers: `crossOriginIsolated` is true, so memory
   * can be shared), none otherwise. `url` is the worker script (default: this package's). A
   * worker is given `timeout` ms to start, and as long to finish its range of a job after the
   * caller finished its own (see the module comment).
   */
  static create(threads: number, url: URL | undefined, timeout: number): KernelPool | null {
    if (threads < 2) return null;
    const module = workerThreads();
    let host: WorkerHost | null = null;
    if (module !== null) host = nodeHost(module, url);
    else if (webWorkersShareMemory()) host = webHost(url);
    return host === null ? null : new KernelPool(host, threads - 1, timeout);
  }

  /** A pool of `count` workers of `host` (tests: a host of their own). */
  static withHost(host: WorkerHost, count: number, timeout: number): KernelPool {
    return new KernelPool(host, count, timeout);
  }

  /** Threads that run a job (the caller included): 1 until the workers are up. */
  get threads(): number {
    return this.#workers.length + 1;
  }

  /** How many jobs were split between threads so far (for tests: a split is otherwise silent). */
  get splitJobs(): number {
    return this.#seq;
  }

  /**
   * How many workers' ranges the caller ran itself because they had not started when it was done
   * with its own (Web Workers only; for tests and diagnostics).
   */
  get rangesRunByCaller(): number {
    return this.#ranRanges;
  }

  /** How many ranges workers were given so far (the caller may have run some: see above). */
  get rangesPosted(): number {
    return this.#postedRanges;
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
    const workers = this.#workers.slice(0, parts - 1);
    this.#postedRanges += workers.length;
    const bound = (p: number) => Math.floor((numBlocks * p) / parts);
    workers.forEach((worker, w) => {
      worker.post({ job, firstBlock: bound(w + 1), endBlock: bound(w + 2), seq });
      Atomics.store(worker.control, POSTED, seq);
      Atomics.notify(worker.control, POSTED);
    });
    const start = performance.now();
    // An object, not a variable the closure assigns, so the compiler does not narrow it to null.
    const thrown: { error?: { value: unknown } } = {};
    const runRange = (first: number, end: number) => {
      try {
        runJob(job, first, end);
      } catch (error) {
        // Thrown once the workers are done with the job's arrays.
        thrown.error ??= { value: error };
      }
    };
    runRange(0, bound(1));
    const own = performance.now() - start;
    // Ranges whose worker has not started yet are run here (where workers claim theirs).
    const claims = this.#host.claims;
    const waited = workers.filter((worker, w) => {
      if (!claims || !claim(worker.control, seq)) return true;
      this.#ranRanges++;
      runRange(bound(w + 1), bound(w + 2));
      return false;
    });
    const finished = performance.now();
    const deadline = finished + Math.max(this.#timeout, HUNG_FACTOR * own);
    let failed = false;
    const lost: PoolWorker[] = [];
    const canBlock = this.#host.canBlock;
    for (const worker of waited) {
      const { control } = worker;
      for (
        let done = Atomics.load(control, DONE);
        done !== seq;
        done = Atomics.load(control, DONE)
      ) {
        const left = deadline - performance.now();
        // A worker that exited (it should not) or does not answer is dropped.
        if (Atomics.load(control, EXITED) !== 0 || left <= 0) {
          lost.push(worker);
          break;
        }
        if (canBlock) Atomics.wait(control, DONE, done, left);
      }
      if (Atomics.exchange(control, FAILED, 0) !== 0) failed = true;
    }
    if (lost.length > 0) {
      failed = true;
      this.#drop(lost, job.kind, performance.now() - finished);
    }
    if (thrown.error !== undefined) throw thrown.error.value;
    if (failed) {
      // The caller runs the whole job on one thread.
      if (job.kind === 'logRatio') job.partials = null;
      return runJob(job, 0, numBlocks);
    }
    if (partials === null) return 0;
    let total = 0;
    for (let b = 0; b < numBlocks; b++) total += partials[b] as number;
    return total;
  }

  /**
   * Stops `lost` workers (exited, or not answering after `waited` ms) and goes on without them;
   * nothing of theirs is reused, in case one still writes before it stops.
   */
  #drop(lost: readonly PoolWorker[], kind: string, waited: number): void {
    this.#workers = this.#workers.filter((w) => !lost.includes(w));
    this.#partials = new Float64Array(0);
    for (const worker of lost) worker.stop();
    warn(
      `CpuBackend: ${lost.length} worker thread${lost.length > 1 ? 's' : ''} did not finish a ${kind} job (waited ${Math.round(waited)} ms after the calling thread) and ${lost.length > 1 ? 'were' : 'was'} stopped; the job was rerun on the calling thread (same results), and kernels now use ${this.threads} thread${this.threads > 1 ? 's' : ''}`,
      'ILLIA_CPU_WORKERS',
    );
  }
}
