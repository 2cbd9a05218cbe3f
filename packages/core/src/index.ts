/**
 * `@illia-ts/core`: learnable Gaussian distributions (illia's `GaussianDistribution`) on
 * pluggable compute backends. Install a backend package (`@illia-ts/backend-cpu`, `-tfjs`,
 * `-onnx`) and import it, or `await ready()`.
 */

export { type Backward, grad, pauseRecording, recordOp, valueAndGrad } from './autodiff.js';
export {
  BACKEND_API_VERSION,
  type Backend,
  type BackendFactory,
  type BackendTensor,
  DEFAULT_MAX_ELEMENTS,
  type DType,
  type Kernel,
  type KernelOutput,
  type KernelTable,
  type MemoryInfo,
  type RandomKey,
  REQUIRED_MEMBERS,
  type TensorValues,
  type ValuesOf,
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
export { debugEnabled, fusedKernelsEnabled, setDebug, setFusedKernels } from './flags.js';
export { GaussianDistribution, type GaussianDistributionOptions } from './gaussian.js';
export { Linear, type LinearOptions } from './nn/linear.js';
export {
  crossEntropyLoss,
  ELBOLoss,
  type ELBOLossOptions,
  KLDivergenceLoss,
  type KLDivergenceLossOptions,
  mseLoss,
} from './nn/losses.js';
export {
  type BayesianModule,
  isBayesian,
  type KlCost,
  type KlMethod,
  type Module,
} from './nn/module.js';
export { Adam, SGD } from './nn/optimizers.js';
export {
  auroc,
  classifierUncertainty,
  expectedCalibrationError,
  predictiveMoments,
  sampleProbabilities,
} from './nn/predictive.js';
export { ReLU, Sequential, Sigmoid, Tanh } from './nn/sequential.js';
export * from './ops/index.js';
export { Generator, globalGenerator, mix32, rng, setSeed } from './random.js';
export { broadcastShapes, formatShape, sameShape, sizeOf, stridesOf } from './shape.js';
export {
  type AnyTensor,
  keep,
  memory,
  Tensor,
  type TensorContainer,
  tensor,
  tidy,
  Variable,
} from './tensor.js';
