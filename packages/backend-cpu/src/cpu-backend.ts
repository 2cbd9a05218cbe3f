import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendTensor,
  type GaussianPrior,
  type MemoryInfo,
  type RandomKey,
  sizeOf,
} from '@illia-ts/core';
import {
  BINARY,
  type BinaryFn,
  mapBinary,
  mapUnary,
  UNARY,
  type UnaryFn,
} from './kernels/elementwise.js';
import { gaussianLogRatio, gaussianSample } from './kernels/gaussian.js';
import { fillNormal } from './kernels/random-normal.js';
import { sumAxes } from './kernels/sum.js';
import * as training from './kernels/training.js';

/** A tensor of the cpu backend: its values in a Float32Array of its own. */
export interface CpuTensor extends BackendTensor {
  readonly values: Float32Array;
}

/**
 * The `cpu` backend: every kernel in plain TypeScript on Float32Array, computing in float64 and
 * storing float32. No dependencies; runs in Node and browsers; reads synchronously.
 */
export class CpuBackend implements Backend {
  readonly apiVersion = BACKEND_API_VERSION;
  readonly name: string;
  readonly epsilon = 2 ** -24;
  readonly #live = new Set<CpuTensor>();
  #numBytes = 0;

  constructor(name = 'cpu') {
    this.name = name;
  }

  #wrap(values: Float32Array, shape: readonly number[]): CpuTensor {
    const t: CpuTensor = { shape, values };
    this.#live.add(t);
    this.#numBytes += values.byteLength;
    return t;
  }

  makeTensor(values: Float32Array, shape: readonly number[]): CpuTensor {
    if (values.length !== sizeOf(shape)) {
      throw new RangeError(
        `cpu.makeTensor: shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, got ${values.length}`,
      );
    }
    return this.#wrap(values.slice(), [...shape]);
  }

  read(x: BackendTensor): Promise<Float32Array> {
    return Promise.resolve(this.readSync(x));
  }

  readSync(x: BackendTensor): Float32Array {
    return (x as CpuTensor).values.slice();
  }

  dispose(x: BackendTensor): void {
    const t = x as CpuTensor;
    if (this.#live.delete(t)) this.#numBytes -= t.values.byteLength;
  }

  memory(): MemoryInfo {
    return { numTensors: this.#live.size, numBytes: this.#numBytes };
  }

  randomNormal(shape: readonly number[], key: RandomKey): CpuTensor {
    const out = new Float32Array(sizeOf(shape));
    fillNormal(out, key);
    return this.#wrap(out, [...shape]);
  }

  #unary(x: BackendTensor, fn: UnaryFn | undefined): CpuTensor {
    return this.#wrap(mapUnary((x as CpuTensor).values, fn as UnaryFn), x.shape);
  }

  neg = (x: BackendTensor) => this.#unary(x, UNARY.neg);
  exp = (x: BackendTensor) => this.#unary(x, UNARY.exp);
  log = (x: BackendTensor) => this.#unary(x, UNARY.log);
  log1p = (x: BackendTensor) => this.#unary(x, UNARY.log1p);
  sqrt = (x: BackendTensor) => this.#unary(x, UNARY.sqrt);
  square = (x: BackendTensor) => this.#unary(x, UNARY.square);
  abs = (x: BackendTensor) => this.#unary(x, UNARY.abs);
  softplus = (x: BackendTensor) => this.#unary(x, UNARY.softplus);

  #binary(a: BackendTensor, b: BackendTensor, fn: BinaryFn | undefined): CpuTensor {
    const { values, shape } = mapBinary(
      (a as CpuTensor).values,
      a.shape,
      (b as CpuTensor).values,
      b.shape,
      fn as BinaryFn,
    );
    return this.#wrap(values, shape);
  }

  add = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, BINARY.add);
  sub = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, BINARY.sub);
  mul = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, BINARY.mul);
  div = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, BINARY.div);
  maximum = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, BINARY.maximum);

  sum(x: BackendTensor, axes: readonly number[]): CpuTensor {
    const { values, shape } = sumAxes((x as CpuTensor).values, x.shape, axes);
    return this.#wrap(values, shape);
  }

  matMul(a: BackendTensor, b: BackendTensor, transposeA: boolean, transposeB: boolean): CpuTensor {
    const { values, shape } = training.matMul(
      (a as CpuTensor).values,
      a.shape,
      (b as CpuTensor).values,
      b.shape,
      transposeA,
      transposeB,
    );
    return this.#wrap(values, shape);
  }

  transpose(x: BackendTensor, perm: readonly number[]): CpuTensor {
    const { values, shape } = training.transpose((x as CpuTensor).values, x.shape, perm);
    return this.#wrap(values, shape);
  }

  reshape(x: BackendTensor, shape: readonly number[]): CpuTensor {
    return this.#wrap((x as CpuTensor).values.slice(), [...shape]);
  }

  relu = (x: BackendTensor) => this.#unary(x, (v) => Math.max(v, 0));
  sigmoid = (x: BackendTensor) => this.#unary(x, training.sigmoid);
  tanh = (x: BackendTensor) => this.#unary(x, Math.tanh);

  logSoftmax(x: BackendTensor): CpuTensor {
    return this.#wrap(training.logSoftmax((x as CpuTensor).values, x.shape), x.shape);
  }

  greater = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, (p, q) => (p > q ? 1 : 0));
  less = (a: BackendTensor, b: BackendTensor) => this.#binary(a, b, (p, q) => (p < q ? 1 : 0));

  gaussianSample(mu: BackendTensor, rho: BackendTensor, key: RandomKey): CpuTensor {
    const values = gaussianSample((mu as CpuTensor).values, (rho as CpuTensor).values, key);
    return this.#wrap(values, mu.shape);
  }

  gaussianLogRatio(
    x: BackendTensor,
    mu: BackendTensor,
    rho: BackendTensor,
    prior: GaussianPrior,
  ): CpuTensor {
    const total = gaussianLogRatio(
      (x as CpuTensor).values,
      (mu as CpuTensor).values,
      (rho as CpuTensor).values,
      prior,
    );
    return this.#wrap(Float32Array.of(total), []);
  }
}
