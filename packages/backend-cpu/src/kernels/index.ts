/**
 * The kernel table of the cpu backend: op name → kernel, a line per op (one file per kernel; the
 * README's table says how each works). Core's optional kernels that are left out (`conv1d`) run
 * composed from others.
 */
import type { Kernel, KernelTable } from '@illia-ts/core';
import { adamUpdate } from './adam.js';
import { avgPool2d } from './avg-pool2d.js';
import { broadcastTo } from './broadcast-to.js';
import { concat } from './concat.js';
import type { CpuContext, CpuKernel, CpuTensor } from './context.js';
import { conv2d } from './conv2d.js';
import { conv2dInputGrad } from './conv2d-input-grad.js';
import { conv2dWeightsGrad } from './conv2d-weights-grad.js';
import { binary, unary } from './elementwise.js';
import { gather } from './gather.js';
import { gaussianLogRatio } from './gaussian-log-ratio.js';
import { gaussianLogRatioGrad } from './gaussian-log-ratio-grad.js';
import { gaussianSample } from './gaussian-sample.js';
import { logSoftmax } from './log-softmax.js';
import { matMul } from './matmul.js';
import { maxPool2d } from './max-pool2d.js';
import { maxPool2dGrad } from './max-pool2d-grad.js';
import { oneHot } from './one-hot.js';
import { pad } from './pad.js';
import { randomNormal } from './random-normal.js';
import { reluGrad } from './relu-grad.js';
import { reshape } from './reshape.js';
import { scatterAdd } from './scatter-add.js';
import { slice } from './slice.js';
import { sum } from './sum.js';
import { transpose } from './transpose.js';

export const KERNELS: Readonly<Record<string, CpuKernel>> = {
  neg: unary('neg'),
  exp: unary('exp'),
  log: unary('log'),
  log1p: unary('log1p'),
  sqrt: unary('sqrt'),
  square: unary('square'),
  abs: unary('abs'),
  softplus: unary('softplus'),
  logSoftplus: unary('logSoftplus'),
  relu: unary('relu'),
  reluGrad,
  sigmoid: unary('sigmoid'),
  tanh: unary('tanh'),
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  maximum: binary('maximum'),
  greater: binary('greater'),
  less: binary('less'),
  sum,
  matMul,
  reshape,
  transpose,
  broadcastTo,
  slice,
  pad,
  concat,
  logSoftmax,
  gather,
  scatterAdd,
  oneHot,
  conv2d,
  conv2dInputGrad,
  conv2dWeightsGrad,
  maxPool2d,
  maxPool2dGrad,
  avgPool2d,
  randomNormal,
  gaussianSample,
  gaussianLogRatio,
  gaussianLogRatioGrad,
  adamUpdate,
};

/** The table bound to one backend's context: what `CpuBackend.kernels` is. */
export function bindKernels(ctx: CpuContext): KernelTable {
  const table: Record<string, Kernel> = {};
  for (const [name, kernel] of Object.entries(KERNELS)) {
    table[name] = (inputs, attrs, output) =>
      kernel(ctx, inputs as readonly CpuTensor[], attrs, output);
  }
  return Object.freeze(table);
}
