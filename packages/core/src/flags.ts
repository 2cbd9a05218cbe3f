const FLAG_KEY = Symbol.for('@illia-ts/core/fused-kernels');

/**
 * Whether core uses a backend's optional fused kernels (default `true`). Turning them off makes
 * core compose the same math from primitive kernels: the conformance suite and the benchmarks
 * compare both paths.
 */
export function setFusedKernels(enabled: boolean): void {
  if (typeof enabled !== 'boolean') {
    throw new TypeError(`setFusedKernels: enabled must be a boolean, got ${String(enabled)}`);
  }
  (globalThis as { [FLAG_KEY]?: boolean })[FLAG_KEY] = enabled;
}

/** See {@link setFusedKernels}. */
export function fusedKernelsEnabled(): boolean {
  return (globalThis as { [FLAG_KEY]?: boolean })[FLAG_KEY] ?? true;
}

const DEBUG_KEY = Symbol.for('@illia-ts/core/debug');

/**
 * Debug mode (as PyTorch's `detect_anomaly` or tfjs's `enableDebugMode`): every op's float32
 * output is checked for NaN and ±Infinity, and the first one found is an error naming the op and
 * its inputs' shapes. On backends that read synchronously the check runs as the op returns; on the
 * others (onnx) it runs when a tensor is read, and names the op that made it. Off by default
 * (`ILLIA_DEBUG=1` turns it on at start); when off it costs one flag test per op.
 */
export function setDebug(enabled: boolean): void {
  if (typeof enabled !== 'boolean') {
    throw new TypeError(`setDebug: enabled must be a boolean, got ${String(enabled)}`);
  }
  (globalThis as { [DEBUG_KEY]?: boolean })[DEBUG_KEY] = enabled;
}

/** See {@link setDebug}. */
export function debugEnabled(): boolean {
  const holder = globalThis as { [DEBUG_KEY]?: boolean };
  if (holder[DEBUG_KEY] === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
      ?.env?.ILLIA_DEBUG;
    holder[DEBUG_KEY] = env === '1' || env === 'true';
  }
  return holder[DEBUG_KEY];
}

/** The first index of a NaN or ±Infinity in `values`, or −1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i] as number)) return i;
  return -1;
}
