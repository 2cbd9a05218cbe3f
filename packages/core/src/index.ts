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
export {
  type IndexedDBLocation,
  loadWeightsFromIndexedDB,
  saveWeightsToIndexedDB,
} from './io/indexeddb.js';
export {
  type DecodedSafetensors,
  decodeSafetensors,
  encodeSafetensors,
  type HostTensor,
  loadSafetensors,
  MAX_HEADER_BYTES,
  SafetensorsError,
  saveSafetensors,
} from './io/safetensors.js';
export {
  type LoadStateDictOptions,
  type LoadStateDictResult,
  loadStateDict,
  type StateBuffers,
  StateDictError,
  type StateLayout,
  stateDict,
} from './io/state-dict.js';
export {
  deserializeWeights,
  type LoadWeightsResult,
  type SerializeWeightsOptions,
  serializeWeights,
} from './io/weights.js';
export { BayesianLayer, type Draw, stopGradient } from './nn/bayesian-layer.js';
export {
  Conv1d,
  type Conv1dOptions,
  Conv2d,
  type Conv2dOptions,
  type ConvOptions,
} from './nn/conv.js';
export { Embedding, type EmbeddingOptions } from './nn/embedding.js';
export { Linear, type LinearOptions } from './nn/linear.js';
export {
  crossEntropyLoss,
  ELBOLoss,
  type ELBOLossOptions,
  type GaussianNllLossOptions,
  gaussianNllLoss,
  KLDivergenceLoss,
  type KLDivergenceLossOptions,
  mseLoss,
} from './nn/losses.js';
export { LSTM, type LSTMOptions, type LSTMState } from './nn/lstm.js';
export {
  type BayesianModule,
  isBayesian,
  type KlCost,
  type KlMethod,
  type Module,
} from './nn/module.js';
export { Adam, SGD } from './nn/optimizers.js';
export {
  AvgPool1d,
  AvgPool2d,
  Flatten,
  type FlattenOptions,
  MaxPool1d,
  MaxPool2d,
  type PoolOptions,
} from './nn/pooling.js';
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
export { createReferenceBackend } from './reference-backend.js';
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
