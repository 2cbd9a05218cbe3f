/** Options of the onnx backend and the execution providers it can run on. */
import { type InferenceSession, listSupportedBackends } from 'onnxruntime-node';

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
  /** Threads of one op (ONNX Runtime's intraOpNumThreads). Default 0: ORT's choice (the cores). */
  intraOpNumThreads?: number;
  /** Threads across independent ops (interOpNumThreads). Default 0: ORT's choice. */
  interOpNumThreads?: number;
  /** Inference sessions kept, one per graph structure; the least recently used go. Default 64. */
  cacheSize?: number;
}

const PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'webgpu', 'cuda'];

/** The options with defaults applied, checked. */
export interface ResolvedOptions {
  readonly name: string;
  readonly executionProviders: readonly ExecutionProvider[];
  readonly onUnavailableProvider: 'error' | 'warn';
  readonly intraOpNumThreads: number;
  readonly interOpNumThreads: number;
  readonly cacheSize: number;
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
  return {
    name,
    executionProviders: [...new Set(providers)],
    onUnavailableProvider: onUnavailable,
    intraOpNumThreads: count('intraOpNumThreads', options.intraOpNumThreads, 0, 0),
    interOpNumThreads: count('interOpNumThreads', options.interOpNumThreads, 0, 0),
    cacheSize: count('cacheSize', options.cacheSize, 64, 1),
  };
}

/** The environment variable that names the execution providers of the registered `onnx`. */
export const PROVIDERS_ENV = 'ILLIA_ONNX_PROVIDERS';
/** The environment variable that sets the threads per op of the registered `onnx`. */
export const THREADS_ENV = 'ILLIA_ONNX_THREADS';

/**
 * The options of the registered `onnx` backend from the environment:
 * `ILLIA_ONNX_PROVIDERS=cuda,cpu` and `ILLIA_ONNX_THREADS=2`. Unset variables give `{}` entries
 * (defaults); malformed ones are rejected when the options are resolved.
 */
export function optionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): OnnxBackendOptions {
  const options: OnnxBackendOptions = {};
  const providers = env[PROVIDERS_ENV];
  if (providers !== undefined && providers.trim() !== '') {
    options.executionProviders = providers
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '') as ExecutionProvider[];
  }
  const threads = env[THREADS_ENV];
  if (threads !== undefined && threads.trim() !== '') {
    const n = Number(threads);
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(
        `${THREADS_ENV} must be a whole number of threads (0: ONNX Runtime's choice), got ${JSON.stringify(threads)}`,
      );
    }
    options.intraOpNumThreads = n;
  }
  return options;
}

/** ONNX Runtime session options for the resolved options. */
export function sessionOptions(
  options: ResolvedOptions,
  providers: readonly ExecutionProvider[] = options.executionProviders,
): InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    intraOpNumThreads: options.intraOpNumThreads,
    interOpNumThreads: options.interOpNumThreads,
    graphOptimizationLevel: 'all',
    // Warnings about providers and node placement are ours to report, not ORT's to print.
    logSeverityLevel: 3,
  };
}

/** What to do to get `provider` on this machine, for error messages. */
export function providerHint(provider: ExecutionProvider): string {
  switch (provider) {
    case 'cuda':
      return "install ONNX Runtime's CUDA 12 libraries: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 (or npm's --onnxruntime-node-install=cuda12), and have the NVIDIA driver, CUDA 12 and cuDNN 9 on the library path";
    case 'webgpu':
      return 'needs a WebGPU adapter: a GPU with a Vulkan driver (libvulkan.so.1) on Linux, D3D12 on Windows, Metal on macOS';
    case 'cpu':
      return 'the cpu provider is always bundled';
  }
}

/** Providers this onnxruntime-node build knows (bundled or loadable). */
export function knownProviders(): string[] {
  return listSupportedBackends().map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`);
}
