/** Options of the onnx backend and the execution providers it can run on. */
import { environment, type ort, RUNTIME, supportedProviders } from '#ort';

/**
 * An ONNX Runtime execution provider: `cpu` (always there), `webgpu` (bundled with
 * onnxruntime-node on Linux x64, Windows and macOS; needs a GPU adapter, on Linux through Vulkan),
 * `cuda` (needs ORT's CUDA libraries, see the README).
 */
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda';

/** Options of {@link OnnxBackend}. */
export interface OnnxBackendOptions {
  /** The name it registers under. Default `onnx`. */
  name?: string;
  /**
   * Execution providers in order of preference; ONNX Runtime places each op on the first that
   * has it. Default `['cpu']`.
   */
  executionProviders?: readonly ExecutionProvider[];
  /**
   * What {@link OnnxBackend.create} does when a requested provider cannot start on this
   * machine: `'error'` (default) rejects with an error naming it; `'warn'` warns and goes on
   * without it (with `cpu` if none is left).
   */
  onUnavailableProvider?: 'error' | 'warn';
  /**
   * Threads of one op (ONNX Runtime's intraOpNumThreads). Default 0: ORT's choice (the physical
   * cores), so results of ops that ORT splits by thread count (a matrix product with a long inner
   * dimension) differ between machines; see {@link deterministic}. Graphs of small ops run on
   * one thread whatever this says (see the README).
   */
  intraOpNumThreads?: number;
  /** Threads across independent ops (interOpNumThreads). Default 0: ORT's choice. */
  interOpNumThreads?: number;
  /**
   * Bitwise reproducible results on any number of cores: every op on one thread and ops run one
   * after the other (intraOpNumThreads and interOpNumThreads 1, sequential execution). Slower on
   * large ops. Default false. Contradicts an intraOpNumThreads or interOpNumThreads other than 1.
   */
  deterministic?: boolean;
  /** Inference sessions kept, one per graph structure; the least recently used go. Default 64. */
  cacheSize?: number;
  /**
   * Whether an op's pool threads spin while they wait for work (ONNX Runtime's default) rather
   * than sleep. Default false: spinning threads take cores from the JavaScript that records the
   * next step and from other processes. The CNN training step of `bench/train.ts` on 2 threads,
   * 6 alternating rounds on a shared 2-core machine at load 3.3–4.4: a median of 38 ms a step
   * (45–58 ms of CPU) spinning, 29.5 ms (31–34 ms of CPU) sleeping (README, Sessions and threads).
   */
  spinning?: boolean;
}

const PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'webgpu', 'cuda'];

/** The options with defaults applied, checked. */
export interface ResolvedOptions {
  readonly name: string;
  readonly executionProviders: readonly ExecutionProvider[];
  readonly onUnavailableProvider: 'error' | 'warn';
  readonly intraOpNumThreads: number;
  readonly interOpNumThreads: number;
  readonly deterministic: boolean;
  readonly cacheSize: number;
  readonly spinning: boolean;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}

function count(arg: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`OnnxBackend: ${arg} must be an integer ≥ ${min}, got ${describe(value)}`);
  }
  return value;
}

/** Applies defaults and checks every option. */
export function resolveOptions(options: OnnxBackendOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`OnnxBackend: options must be an object, got ${describe(options)}`);
  }
  const name = options.name ?? 'onnx';
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new TypeError(
      `OnnxBackend: name must be lowercase letters, digits and "-", got ${describe(name)}`,
    );
  }
  const providers = options.executionProviders ?? ['cpu'];
  if (
    !Array.isArray(providers) ||
    providers.length === 0 ||
    providers.some((p) => !PROVIDERS.includes(p))
  ) {
    throw new TypeError(
      `OnnxBackend: executionProviders must be a non-empty array of ${PROVIDERS.map(describe).join(', ')}, got ${describe(providers)}`,
    );
  }
  const onUnavailable = options.onUnavailableProvider ?? 'error';
  if (onUnavailable !== 'error' && onUnavailable !== 'warn') {
    throw new TypeError(
      `OnnxBackend: onUnavailableProvider must be "error" or "warn", got ${describe(onUnavailable)}`,
    );
  }
  const deterministic = options.deterministic ?? false;
  if (typeof deterministic !== 'boolean') {
    throw new TypeError(
      `OnnxBackend: deterministic must be true or false, got ${describe(deterministic)}`,
    );
  }
  const threads = deterministic ? 1 : 0;
  const intra = count('intraOpNumThreads', options.intraOpNumThreads, threads, 0);
  const inter = count('interOpNumThreads', options.interOpNumThreads, threads, 0);
  if (deterministic && (intra !== 1 || inter !== 1)) {
    throw new RangeError(
      `OnnxBackend: deterministic: true runs every op on one thread, but intraOpNumThreads is ${intra} and interOpNumThreads ${inter}: leave them out (or set them to 1)`,
    );
  }
  const spinning = options.spinning ?? false;
  if (typeof spinning !== 'boolean') {
    throw new TypeError(`OnnxBackend: spinning must be true or false, got ${describe(spinning)}`);
  }
  return {
    name,
    executionProviders: [...new Set(providers)],
    onUnavailableProvider: onUnavailable,
    intraOpNumThreads: intra,
    interOpNumThreads: inter,
    deterministic,
    cacheSize: count('cacheSize', options.cacheSize, 64, 1),
    spinning,
  };
}

/** The environment variable that names the execution providers of the registered `onnx`. */
export const PROVIDERS_ENV = 'ILLIA_ONNX_PROVIDERS';
/** The environment variable that sets the threads per op of the registered `onnx`. */
export const THREADS_ENV = 'ILLIA_ONNX_THREADS';
/** The environment variable that makes the registered `onnx` deterministic (`1`). */
export const DETERMINISTIC_ENV = 'ILLIA_ONNX_DETERMINISTIC';

/**
 * The options of the registered `onnx` backend from the environment:
 * `ILLIA_ONNX_PROVIDERS=cuda,cpu`, `ILLIA_ONNX_THREADS=2`, `ILLIA_ONNX_DETERMINISTIC=1`. Unset or
 * empty variables give no entry (the defaults); a malformed one is a RangeError that names the
 * variable, its value and what it accepts.
 */
export function optionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = environment(),
): OnnxBackendOptions {
  const options: OnnxBackendOptions = {};
  const providers = env[PROVIDERS_ENV];
  if (providers !== undefined && providers.trim() !== '') {
    const names = providers.split(',').map((p) => p.trim());
    const unknown = names.filter((p) => !PROVIDERS.includes(p as ExecutionProvider));
    if (unknown.length > 0) {
      throw new RangeError(
        `${PROVIDERS_ENV}=${JSON.stringify(providers)}: ${unknown.map(describe).join(', ')} is not an execution provider; give a comma-separated list of ${PROVIDERS.join(', ')} (such as "cuda,cpu")`,
      );
    }
    options.executionProviders = names as ExecutionProvider[];
  }
  const threads = env[THREADS_ENV];
  if (threads !== undefined && threads.trim() !== '') {
    const n = Number(threads);
    if (!/^\s*\d+\s*$/.test(threads) || !Number.isSafeInteger(n)) {
      throw new RangeError(
        `${THREADS_ENV}=${JSON.stringify(threads)}: give a whole number of threads per op (0: ONNX Runtime's choice, the physical cores)`,
      );
    }
    options.intraOpNumThreads = n;
  }
  const deterministic = env[DETERMINISTIC_ENV];
  if (deterministic !== undefined && deterministic.trim() !== '') {
    const value = deterministic.trim();
    if (value !== '0' && value !== '1') {
      throw new RangeError(
        `${DETERMINISTIC_ENV}=${JSON.stringify(deterministic)}: give 1 (one thread per op, bitwise reproducible) or 0 (the default)`,
      );
    }
    options.deterministic = value === '1';
  }
  if (options.deterministic === true && (options.intraOpNumThreads ?? 1) !== 1) {
    throw new RangeError(
      `${DETERMINISTIC_ENV}=1 runs every op on one thread, but ${THREADS_ENV}=${JSON.stringify(threads)}: unset one of them`,
    );
  }
  return options;
}

/**
 * ONNX Runtime session options for the resolved options: on `providers`, with `threads` intra-op
 * threads (default the options'; 1 for a graph of small ops, whose session then owns no threads).
 */
export function sessionOptions(
  options: ResolvedOptions,
  providers: readonly ExecutionProvider[] = options.executionProviders,
  threads: number = options.intraOpNumThreads,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    intraOpNumThreads: threads,
    interOpNumThreads: options.interOpNumThreads,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Session config entries: idle pool threads sleep unless `spinning` (see the option).
    extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
    // ORT's own log lines repeat what the errors we throw say (a failed run's message is in
    // the read's error), and warnings about providers are ours to report.
    logSeverityLevel: 4,
  };
}

/** What to do to get `provider` on this machine, for error messages. */
export function providerHint(provider: ExecutionProvider): string {
  switch (provider) {
    case 'cuda':
      return "install ONNX Runtime's CUDA 12 libraries: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 (or npm's --onnxruntime-node-install=cuda12), and have the NVIDIA driver, CUDA 12 and cuDNN 9 on the library path";
    case 'webgpu':
      return RUNTIME === 'onnxruntime-web'
        ? 'needs a browser with WebGPU (navigator.gpu) that gives an adapter'
        : 'needs a WebGPU adapter: a GPU with a Vulkan driver (libvulkan.so.1) on Linux, D3D12 on Windows, Metal on macOS';
    case 'cpu':
      return 'the cpu provider is always bundled';
  }
}

/** Providers this ONNX Runtime build knows (bundled or loadable). */
export function knownProviders(): string[] {
  return supportedProviders().map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`);
}
