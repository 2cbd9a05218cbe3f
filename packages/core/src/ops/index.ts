/** Every op's public function, by family (one file per op under each folder). */

export { type Conv1dAttrs, type Conv1dOptions, conv1d } from './conv/conv1d.js';
export { conv2d } from './conv/conv2d.js';
export { type Conv2dInputGradAttrs, conv2dInputGrad } from './conv/conv2d-input-grad.js';
export { type Conv2dWeightsGradAttrs, conv2dWeightsGrad } from './conv/conv2d-weights-grad.js';
export type { Conv2dAttrs, Conv2dOptions, Pair } from './conv/geometry.js';
export {
  type CaseInput,
  commonBackend,
  defineOp,
  type ErrorCase,
  handleOf,
  type InputSpec,
  type Op,
  type OpCase,
  type OpDefinition,
  type RefTensor,
  type Tolerance,
} from './define.js';
export { abs } from './elementwise/abs.js';
export { add } from './elementwise/add.js';
export { div } from './elementwise/div.js';
export { exp } from './elementwise/exp.js';
export { greater } from './elementwise/greater.js';
export { less } from './elementwise/less.js';
export { log } from './elementwise/log.js';
export { logSoftplus, logSoftplus64, logSoftplusGrad } from './elementwise/log-softplus.js';
export { log1p } from './elementwise/log1p.js';
export { maximum } from './elementwise/maximum.js';
export { mul } from './elementwise/mul.js';
export { neg } from './elementwise/neg.js';
export { relu } from './elementwise/relu.js';
export { reluGrad } from './elementwise/relu-grad.js';
export { sigmoid } from './elementwise/sigmoid.js';
export { softplus, softplus64 } from './elementwise/softplus.js';
export { sqrt } from './elementwise/sqrt.js';
export { square } from './elementwise/square.js';
export { sub } from './elementwise/sub.js';
export { tanh } from './elementwise/tanh.js';
export {
  type GaussianLogRatioAttrs,
  type GaussianPrior,
  gaussianLogRatio,
} from './gaussian/gaussian-log-ratio.js';
export { gaussianLogRatioGrad } from './gaussian/gaussian-log-ratio-grad.js';
export { type GaussianSampleAttrs, gaussianSample } from './gaussian/gaussian-sample.js';
export { gather } from './indexing/gather.js';
export { type OneHotAttrs, oneHot } from './indexing/one-hot.js';
export { type ScatterAddAttrs, scatterAdd } from './indexing/scatter-add.js';
export { type MatMulAttrs, matMul } from './linalg/mat-mul.js';
export { logSoftmax, logSumExp } from './nn/log-softmax.js';
export { type AdamHyperparameters, adamUpdate } from './optim/adam-update.js';
export { avgPool2d } from './pool/avg-pool2d.js';
export { maxPool2d } from './pool/max-pool2d.js';
export { maxPool2dGrad } from './pool/max-pool2d-grad.js';
export type { Pool2dAttrs, Pool2dOptions } from './pool/pool-geometry.js';
export { type RandomNormalAttrs, randomNormal, randomNormalOn } from './random/random-normal.js';
export { mean, type SumAttrs, sum } from './reduction/sum.js';
export { getOp, listOps, requiredKernels, runOp } from './registry.js';
export { type BroadcastToAttrs, broadcastTo } from './shape/broadcast-to.js';
export { type ConcatAttrs, concat } from './shape/concat.js';
export { type PadAttrs, pad } from './shape/pad.js';
export { type ReshapeAttrs, reshape } from './shape/reshape.js';
export { type SliceAttrs, slice } from './shape/slice.js';
export { stack } from './shape/stack.js';
export { type TransposeAttrs, transpose } from './shape/transpose.js';
