/**
 * A backend whose kernels are the ops' own float64 references, rounded once to float32: the
 * most accurate backend possible, and slow, with no dependencies. The conformance suite's op
 * tests run on it, so a gradient rule that disagrees with its reference fails there before any
 * real backend is involved; core's own tests use it; it is also a way to check a result of
 * another backend op by op.
 */
import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendTensor,
  type Kernel,
  type KernelOutput,
  type RandomKey,
  type TensorValues,
} from './backend.js';
import { listOps } from './ops/registry.js';

interface RefHandle extends BackendTensor {
  readonly values: TensorValues;
}

/** Box–Muller normals from a counter hash of the key (statistics are not what this backend is for). */
function normals(n: number, key: RandomKey): Float32Array {
  const out = new Float32Array(n);
  let state = (key.seed ^ Math.imul(key.counter + 1, 0x9e3779b9)) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    out[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/**
 * A new reference backend named `name` (register it with `registerBackend(name, () => b)`). The
 * optional fused kernels are left to their composed fallbacks; random numbers are Box–Muller of
 * a counter hash, reproducible per key but not tested for their statistics.
 */
export function createReferenceBackend(name = 'reference'): Backend {
  const live = new Set<RefHandle>();
  const wrap = (values: TensorValues, shape: readonly number[]): RefHandle => {
    const h: RefHandle = {
      values,
      shape: [...shape],
      dtype: values instanceof Int32Array ? 'int32' : 'float32',
    };
    live.add(h);
    return h;
  };
  const kernels: Record<string, Kernel> = {};
  for (const def of listOps()) {
    const reference = def.reference;
    if (reference === undefined) continue;
    kernels[def.name] = (inputs, attrs, output: KernelOutput) => {
      const refs = inputs.map((h) => ({
        values: Float64Array.from((h as RefHandle).values),
        shape: h.shape,
        dtype: h.dtype,
      }));
      const values = reference(refs, attrs);
      return wrap(
        output.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values),
        output.shape,
      );
    };
  }
  kernels.randomNormal = (_inputs, attrs: { key: RandomKey }, output) =>
    wrap(
      normals(
        output.shape.reduce((p, q) => p * q, 1),
        attrs.key,
      ),
      output.shape,
    );
  // Composed in core from the others: leave them to their fallbacks.
  for (const optional of [
    'gaussianSample',
    'gaussianLogRatio',
    'gaussianLogRatioGrad',
    'adamUpdate',
  ])
    delete kernels[optional];
  return {
    apiVersion: BACKEND_API_VERSION,
    name,
    epsilon: 2 ** -24,
    kernels,
    makeTensor: (values, shape) => wrap(values.slice(), shape),
    read: async (x) => (x as RefHandle).values.slice(),
    readSync: (x) => (x as RefHandle).values.slice(),
    dispose: (x) => {
      live.delete(x as RefHandle);
    },
    memory: () => ({
      numTensors: live.size,
      numBytes: [...live].reduce((n, h) => n + h.values.byteLength, 0),
    }),
  };
}
