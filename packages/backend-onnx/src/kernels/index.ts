/**
 * The kernel table: op name → kernel, a line per op (the README's kernel table says which ONNX ops
 * each emits). Every kernel records a lazy node; reads run what they need as one graph.
 */
import type { Kernel, KernelOutput, KernelTable } from '@illia-ts/core';
import type { LazyOp, LazyTensor } from '../graph/lazy-tensor.js';
import { avgPool2d } from './avg-pool2d.js';
import { broadcastTo } from './broadcast-to.js';
import { concat } from './concat.js';
import { conv1d } from './conv1d.js';
import { conv2d } from './conv2d.js';
import { conv2dInputGrad } from './conv2d-input-grad.js';
import { conv2dWeightsGrad } from './conv2d-weights-grad.js';
import { binary, comparison, reluGrad, unary } from './elementwise.js';
import { gather } from './gather.js';
import { gaussianLogRatio } from './gaussian-log-ratio.js';
import { gaussianSample } from './gaussian-sample.js';
import type { OnnxKernel } from './kernel.js';
import { logSoftmax } from './log-softmax.js';
import { logSoftplus } from './log-softplus.js';
import { matMul } from './mat-mul.js';
import { maxPool2d } from './max-pool2d.js';
import { maxPool2dGrad } from './max-pool2d-grad.js';
import { oneHot } from './one-hot.js';
import { pad } from './pad.js';
import { randomNormal } from './random-normal.js';
import { reshape } from './reshape.js';
import { scatterAdd } from './scatter-add.js';
import { slice } from './slice.js';
import { sum } from './sum.js';
import { transpose } from './transpose.js';

export const KERNELS: Readonly<Record<string, OnnxKernel>> = {
  neg: unary('neg'),
  exp: unary('exp'),
  log: unary('log'),
  log1p: unary('log1p'),
  sqrt: unary('sqrt'),
  square: unary('square'),
  abs: unary('abs'),
  softplus: unary('softplus'),
  logSoftplus,
  relu: unary('relu'),
  reluGrad,
  sigmoid: unary('sigmoid'),
  tanh: unary('tanh'),
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  maximum: binary('maximum'),
  greater: comparison('greater'),
  less: comparison('less'),
  sum,
  matMul,
  reshape,
  broadcastTo,
  transpose,
  slice,
  pad,
  concat,
  logSoftmax,
  gather,
  scatterAdd,
  oneHot,
  conv1d,
  conv2d,
  conv2dInputGrad,
  conv2dWeightsGrad,
  maxPool2d,
  maxPool2dGrad,
  avgPool2d,
  randomNormal,
  gaussianSample,
  gaussianLogRatio,
};

/**
 * The table a backend exposes: each kernel's op recorded as a pending node of core's output shape
 * and dtype by `record` (which keeps the backend's books).
 */
export function kernelTable(
  record: (op: LazyOp, inputs: readonly LazyTensor[], output: KernelOutput) => LazyTensor,
): KernelTable {
  const table: Record<string, Kernel> = {};
  for (const [name, kernel] of Object.entries(KERNELS)) {
    table[name] = (inputs, attrs, output) => {
      const nodes = inputs as readonly LazyTensor[];
      const op = kernel(nodes, attrs, output);
      return record(op, op.inputs ?? nodes, output);
    };
  }
  return table;
}
