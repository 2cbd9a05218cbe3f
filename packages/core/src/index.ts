/**
 * `@illia-ts/core`: learnable Gaussian distributions (illia's `GaussianDistribution`) on
 * pluggable compute backends. Install a backend package (`@illia-ts/backend-cpu`, `-tfjs`,
 * `-onnx`) and import it, or `await ready()`.
 */
export {
  BACKEND_API_VERSION,
  type Backend,
  type BackendFactory,
  type BackendTensor,
  type BinaryKernel,
  type GaussianPrior,
  type MemoryInfo,
  type RandomKey,
  type UnaryKernel,
} from './backend.js';
export {
  backendName,
  backendPackage,
  getBackend,
  ready,
  registerBackend,
  registeredBackends,
  setBackend,
} from './engine.js';
export { fusedKernelsEnabled, setFusedKernels } from './flags.js';
export { GaussianDistribution, type GaussianDistributionOptions } from './gaussian.js';
export {
  abs,
  add,
  div,
  exp,
  log,
  log1p,
  maximum,
  mul,
  neg,
  randomNormal,
  softplus,
  sqrt,
  square,
  sub,
  sum,
} from './ops.js';
export { Generator, globalGenerator, rng, setSeed } from './random.js';
export { broadcastShapes, formatShape, sameShape, sizeOf, stridesOf } from './shape.js';
export { keep, memory, Tensor, type TensorContainer, tensor, tidy } from './tensor.js';
