/**
 * The kernel table: every op this backend runs natively, by op name (one line per op). An op not
 * listed (`conv1d`) is composed by core from the ones here.
 */
import { adamUpdate } from './adam-update.js';
import { avgPool2d } from './avg-pool2d.js';
import { broadcastTo } from './broadcast-to.js';
import { concat } from './concat.js';
import { conv2d } from './conv2d.js';
import { conv2dInputGrad } from './conv2d-input-grad.js';
import { conv2dWeightsGrad } from './conv2d-weights-grad.js';
import * as elementwise from './elementwise.js';
import { gather } from './gather.js';
import { gaussianLogRatio } from './gaussian-log-ratio.js';
import { gaussianSample } from './gaussian-sample.js';
import type { TfjsKernel } from './kernel.js';
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

export const KERNELS: Readonly<Record<string, TfjsKernel>> = {
  neg: elementwise.neg,
  exp: elementwise.exp,
  log: elementwise.log,
  log1p: elementwise.log1p,
  sqrt: elementwise.sqrt,
  square: elementwise.square,
  abs: elementwise.abs,
  softplus: elementwise.softplus,
  relu: elementwise.relu,
  sigmoid: elementwise.sigmoid,
  tanh: elementwise.tanh,
  add: elementwise.add,
  sub: elementwise.sub,
  mul: elementwise.mul,
  div: elementwise.div,
  maximum: elementwise.maximum,
  greater: elementwise.greater,
  less: elementwise.less,
  logSoftplus,
  sum,
  matMul,
  reshape,
  transpose,
  broadcastTo,
  logSoftmax,
  slice,
  pad,
  concat,
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
  adamUpdate,
};
