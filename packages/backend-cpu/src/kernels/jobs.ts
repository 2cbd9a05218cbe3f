/**
 * The kernels that threads split, as plain data: a job names a kernel and its arrays and sizes,
 * and {@link runJob} runs any range of its blocks (its units of work: blocks of 2048 elements,
 * matMul's panels of rows, a convolution's images, a pool's planes, a copy's runs). The main thread
 * and the workers run the same function on different ranges, and each output element is computed
 * within one block, so a job gives the same bits however it is split.
 */
import type { AdamHyperparameters } from '@illia-ts/core';
import { adamRange } from './adam.js';
import { avgPool2dPlanes } from './avg-pool2d.js';
import type { ConvGeometry } from './conv-engine.js';
import { conv2dUnits } from './conv2d.js';
import { conv2dInputGradUnits } from './conv2d-input-grad.js';
import { conv2dWeightsGradUnits } from './conv2d-weights-grad.js';
import { type BlockLayout, copyRuns } from './copy-block.js';
import { gatherRange } from './gather.js';
import { logRatioBlocks, logRatioGradBlocks, sampleBlocks, sigmaBlocks } from './gaussian.js';
import { type BinaryLayout, type BinaryOp, binaryRange, type UnaryOp, unaryRange } from './maps.js';
import { type MatMulDims, matMulPanels } from './matmul.js';
import { maxPool2dPlanes } from './max-pool2d.js';
import { maxPool2dGradPlanes } from './max-pool2d-grad.js';
import type { PoolGeometry } from './pool-geometry.js';
import { BLOCK, fillNormalBlocks } from './random-normal.js';
import { reluGradRange } from './relu-grad.js';
import { scatterAddRows } from './scatter-add.js';

/** A kernel over blocks, with everything it reads and writes. */
export type Job =
  | { readonly kind: 'normal'; out: Float32Array; seed: number; counter: number }
  | {
      readonly kind: 'sample';
      out: Float32Array;
      mu: Float32Array;
      rho: Float32Array;
      sigma: Float64Array | null;
      seed: number;
      counter: number;
    }
  | { readonly kind: 'sigma'; rho: Float32Array; sigma: Float64Array; logSums: Float64Array }
  | {
      readonly kind: 'logRatio';
      x: Float32Array;
      mu: Float32Array;
      rho: Float32Array;
      sigma: Float64Array | null;
      logSums: Float64Array | null;
      priorMu: number;
      priorStd: number;
      /** Where each block's total goes when the blocks are split between threads. */
      partials: Float64Array | null;
    }
  | {
      /** `gaussianLogRatio`'s gradient times the scalar `g` (`gaussian.ts`). */
      readonly kind: 'logRatioGrad';
      x: Float32Array;
      mu: Float32Array;
      rho: Float32Array;
      sigma: Float64Array | null;
      g: number;
      priorMu: number;
      priorStd: number;
      dx: Float32Array;
      dMu: Float32Array;
      dRho: Float32Array;
    }
  | { readonly kind: 'unary'; op: UnaryOp; x: Float32Array; out: Float32Array }
  | { readonly kind: 'reluGrad'; x: Float32Array; dy: Float32Array; out: Float32Array }
  | {
      readonly kind: 'binary';
      op: BinaryOp;
      a: Float32Array;
      b: Float32Array;
      out: Float32Array;
      layout: BinaryLayout;
    }
  | {
      /** One Adam step (`adam.ts`): `m` and `v` are null on the first step. */
      readonly kind: 'adam';
      param: Float32Array;
      grad: Float32Array;
      m: Float32Array | null;
      v: Float32Array | null;
      h: AdamHyperparameters;
      outParam: Float32Array;
      outM: Float32Array;
      outV: Float32Array;
    }
  | {
      /** `out = op(a) · op(b)`; its blocks are panels of output rows (`matmul.ts`). */
      readonly kind: 'matMul';
      out: Float32Array;
      a: Float32Array;
      b: Float32Array;
      dims: MatMulDims;
      transposeA: boolean;
      transposeB: boolean;
    }
  /** A block copied by runs (`copy-block.ts`: slice, pad, concat); its blocks are runs. */
  | { readonly kind: 'copy'; src: Int32Array; dst: Int32Array; layout: BlockLayout }
  /** Rows of a table (as int32 bits); its blocks are indices. */
  | {
      readonly kind: 'gather';
      table: Int32Array;
      indices: Int32Array;
      out: Int32Array;
      row: number;
    }
  /** Output rows of scatterAdd, its updates sorted by row (`scatter-add.ts`). */
  | {
      readonly kind: 'scatterAdd';
      updates: Float32Array;
      starts: Int32Array;
      order: Int32Array;
      out: Float32Array;
      row: number;
    }
  /** conv2d by (image, group); `simd` false runs the TypeScript tiles (tests). */
  | {
      readonly kind: 'conv2d';
      x: Float32Array;
      w: Float32Array;
      out: Float32Array;
      g: ConvGeometry;
      simd: boolean;
    }
  /** x's gradient of conv2d by (image, group). */
  | {
      readonly kind: 'conv2dInputGrad';
      dy: Float32Array;
      w: Float32Array;
      dx: Float32Array;
      g: ConvGeometry;
      simd: boolean;
    }
  /** The weights' gradient of conv2d by panels of 8 output channels. */
  | {
      readonly kind: 'conv2dWeightsGrad';
      x: Float32Array;
      dy: Float32Array;
      dw: Float32Array;
      g: ConvGeometry;
      simd: boolean;
    }
  /** The pools by planes (batch · channels). */
  | { readonly kind: 'maxPool2d'; x: Float32Array; out: Float32Array; g: PoolGeometry }
  | {
      readonly kind: 'maxPool2dGrad';
      x: Float32Array;
      dy: Float32Array;
      dx: Float32Array;
      g: PoolGeometry;
    }
  | { readonly kind: 'avgPool2d'; x: Float32Array; out: Float32Array; g: PoolGeometry };

/** Runs blocks `[firstBlock, endBlock)` of `job`; for `logRatio`, returns their total. */
export function runJob(job: Job, firstBlock: number, endBlock: number): number {
  switch (job.kind) {
    case 'normal':
      fillNormalBlocks(job.out, job.seed, job.counter, firstBlock, endBlock);
      return 0;
    case 'sample':
      sampleBlocks(
        job.out,
        job.mu,
        job.rho,
        job.sigma,
        job.seed,
        job.counter,
        firstBlock,
        endBlock,
      );
      return 0;
    case 'sigma':
      sigmaBlocks(job.rho, job.sigma, job.logSums, firstBlock, endBlock);
      return 0;
    case 'logRatio':
      return logRatioBlocks(
        job.x,
        job.mu,
        job.rho,
        job.sigma,
        job.logSums,
        job.priorMu,
        job.priorStd,
        job.partials,
        firstBlock,
        endBlock,
      );
    case 'logRatioGrad':
      logRatioGradBlocks(
        job.x,
        job.mu,
        job.rho,
        job.sigma,
        job.g,
        job.priorMu,
        job.priorStd,
        job.dx,
        job.dMu,
        job.dRho,
        firstBlock,
        endBlock,
      );
      return 0;
    case 'unary':
      unaryRange(
        job.op,
        job.x,
        job.out,
        firstBlock * BLOCK,
        Math.min(job.out.length, endBlock * BLOCK),
      );
      return 0;
    case 'reluGrad':
      reluGradRange(
        job.x,
        job.dy,
        job.out,
        firstBlock * BLOCK,
        Math.min(job.out.length, endBlock * BLOCK),
      );
      return 0;
    case 'binary':
      binaryRange(
        job.op,
        job.a,
        job.b,
        job.out,
        job.layout,
        firstBlock * BLOCK,
        Math.min(job.out.length, endBlock * BLOCK),
      );
      return 0;
    case 'adam':
      adamRange(
        job.param,
        job.grad,
        job.m,
        job.v,
        job.h,
        job.outParam,
        job.outM,
        job.outV,
        firstBlock * BLOCK,
        Math.min(job.param.length, endBlock * BLOCK),
      );
      return 0;
    case 'matMul':
      matMulPanels(
        job.a,
        job.b,
        job.out,
        job.dims,
        job.transposeA,
        job.transposeB,
        firstBlock,
        endBlock,
      );
      return 0;
    case 'copy':
      copyRuns(job.src, job.dst, job.layout, firstBlock, endBlock);
      return 0;
    case 'gather':
      gatherRange(job.table, job.indices, job.out, job.row, firstBlock, endBlock);
      return 0;
    case 'scatterAdd':
      scatterAddRows(job.updates, job.starts, job.order, job.out, job.row, firstBlock, endBlock);
      return 0;
    case 'conv2d':
      conv2dUnits(job.x, job.w, job.out, job.g, firstBlock, endBlock, job.simd);
      return 0;
    case 'conv2dInputGrad':
      conv2dInputGradUnits(job.dy, job.w, job.dx, job.g, firstBlock, endBlock, job.simd);
      return 0;
    case 'conv2dWeightsGrad':
      conv2dWeightsGradUnits(job.x, job.dy, job.dw, job.g, firstBlock, endBlock, job.simd);
      return 0;
    case 'maxPool2d':
      maxPool2dPlanes(job.x, job.out, job.g, firstBlock, endBlock);
      return 0;
    case 'maxPool2dGrad':
      maxPool2dGradPlanes(job.x, job.dy, job.dx, job.g, firstBlock, endBlock);
      return 0;
    case 'avgPool2d':
      avgPool2dPlanes(job.x, job.out, job.g, firstBlock, endBlock);
      return 0;
  }
}
