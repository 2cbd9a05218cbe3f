/**
 * The block-parallel kernels as plain data: a job names a kernel and its arrays, and
 * {@link runJob} runs any range of its blocks. The main thread and the workers run the same
 * function on different ranges, so a job gives the same bits however it is split.
 */
import type { AdamHyperparameters } from '@illia-ts/core';
import { adamRange } from './adam.js';
import { logRatioBlocks, sampleBlocks, sigmaBlocks } from './gaussian.js';
import { type BinaryLayout, type BinaryOp, binaryRange, type UnaryOp, unaryRange } from './maps.js';
import { type MatMulDims, matMulPanels } from './matmul.js';
import { BLOCK, fillNormalBlocks } from './random-normal.js';

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
      priorScale: number;
      /** Where each block's total goes when the blocks are split between threads. */
      partials: Float64Array | null;
    }
  | { readonly kind: 'unary'; op: UnaryOp; x: Float32Array; out: Float32Array }
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
    };

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
        job.priorScale,
        job.partials,
        firstBlock,
        endBlock,
      );
    case 'unary':
      unaryRange(
        job.op,
        job.x,
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
  }
}
