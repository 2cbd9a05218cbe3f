/**
 * How many threads a cpu backend uses: the `threads` option, else `ILLIA_CPU_THREADS`, else the
 * machine's, never more than the machine offers (see {@link maxThreads}). In a browser page the
 * count is what is asked for; whether workers start at all is the pool's business (only where
 * the page is cross-origin isolated).
 */
import { warnOnce } from './warn.js';

/** The environment variable that sets the thread count of backends made without `threads`. */
export const THREADS_VARIABLE = 'ILLIA_CPU_THREADS';

/** The default never goes above this many threads, however many CPUs the machine has. */
const DEFAULT_LIMIT = 8;

interface NodeProcess {
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

const proc = (globalThis as { process?: NodeProcess }).process;

/**
 * The CPUs this process may run on: Node's `os.availableParallelism()`, else the browser's
 * `navigator.hardwareConcurrency`; null where that is unknown (Node < 20.16, other runtimes).
 */
export function machineParallelism(): number | null {
  const os = proc?.getBuiltinModule?.('node:os') as
    | { availableParallelism?: () => number }
    | undefined;
  const n =
    os !== undefined
      ? os.availableParallelism?.()
      : (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
          ?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : null;
}

/**
 * The most threads a backend uses on a machine of `parallelism` CPUs: one per CPU, since kernels
 * are synchronous and a thread beyond the CPUs only waits for one (and costs about 10 MB), but at
 * least 2, so that the threaded path runs (and is tested) on a one-CPU machine too.
 */
export function maxThreads(parallelism: number): number {
  return Math.max(2, parallelism);
}

/**
 * `ILLIA_CPU_THREADS` read strictly: digits only, from 1 (no sign, point, exponent, hex or
 * spaces, which `Number()` would take). Anything else is an error naming the variable, the value
 * and what is accepted, rather than a quiet fallback to another count or backend.
 */
export function parseThreadsVariable(value: string, limit: number | null): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && Number.isSafeInteger(n))) {
    const above =
      limit === null ? '' : ` (counts above ${limit}, this machine's most, are lowered to it)`;
    throw new RangeError(
      `${THREADS_VARIABLE} must be a whole number of threads from 1${above}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * The thread count for a backend: `option` if given, else `ILLIA_CPU_THREADS`, else the machine's
 * parallelism (at most {@link DEFAULT_LIMIT}); 1 where the parallelism is unknown. A count above
 * {@link maxThreads} is lowered to it with a process warning (code `ILLIA_CPU_THREADS`): results
 * are bitwise the same for every count, so only the speed (and memory) would change.
 */
export function threadCount(option: number | undefined): number {
  const parallelism = machineParallelism();
  const limit = parallelism === null ? null : maxThreads(parallelism);
  let wanted: number;
  let source: string;
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < 1) {
      throw new RangeError(
        `CpuBackend: threads must be a whole number, 1 or more, got ${String(option)}`,
      );
    }
    wanted = option;
    source = `threads: ${option}`;
  } else {
    const value = proc?.env?.[THREADS_VARIABLE];
    if (value === undefined) return Math.min(DEFAULT_LIMIT, parallelism ?? 1);
    wanted = parseThreadsVariable(value, limit);
    source = `${THREADS_VARIABLE}=${value}`;
  }
  if (limit === null || wanted <= limit) return wanted;
  warnOnce(
    `CpuBackend: ${source} asks for more threads than this machine has CPUs (${parallelism}); using ${limit}`,
    THREADS_VARIABLE,
  );
  return limit;
}
