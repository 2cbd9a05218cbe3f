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
