/**
 * maxPool2d's gradient: each window's dy added at the position of its first maximum (scanning the
 * window row by row, as ORT and PyTorch do on ties), into zeros of x's size.
 *
 * On the cpu provider, MaxPool's second output gives those positions as flat indices into x, and
 * ScatterElements with reduction `add` adds each window's dy there (MaxUnpool writes it there
 * where windows do not overlap). ONNX Runtime 1.30's webgpu
 * MaxPool takes the node but fails at run time ("The Indices output is not supported yet"), so
 * the portable form (GPU providers) finds the positions itself: the kh·kw strided slices of x
 * (padded with −∞) stacked on a new axis, ArgMax over it (its first maximum, the same tie rule),
 * and the window offset it picks turned into a flat index with int32 arithmetic; positions in the
 * padding (a window of −∞ only) go to a spare slot past the end, dropped.
 */
import type { Pool2dAttrs } from '@illia-ts/core';
import { attr, type GraphBuilder } from '../graph/graph-builder.js';
import type { OnnxKernel } from './kernel.js';
import { poolAttributes, poolKey } from './max-pool2d.js';

/** Flat indices of the portable form are int32: below this many elements of x. */
const INT32_LIMIT = 2 ** 31 - 1;

function scatterAdd(g: GraphBuilder, size: number, indices: string, dy: string): string {
  const flat = g.int64s([-1]);
  return g.op(
    'ScatterElements',
    [
      g.op('ConstantOfShape', [g.int64s([size])]),
      g.op('Reshape', [indices, flat]),
      g.op('Reshape', [dy, flat]),
    ],
    [attr.int('axis', 0), attr.string('reduction', 'add')],
  );
}

function emitWithIndices(
  g: GraphBuilder,
  x: string,
  dy: string,
  a: Pool2dAttrs,
  size: number,
  shape: readonly number[],
): string {
  const attributes = poolAttributes(a);
  const [, indices] = g.opOutputs('MaxPool', [x], 2, attributes);
  if (apart(a)) return g.op('MaxUnpool', [dy, indices as string, g.int64s(shape)], attributes);
  return g.op('Reshape', [scatterAdd(g, size, indices as string, dy), g.int64s(shape)]);
}

/**
 * Whether no two windows share a position (stride ≥ kernel, no padding): then each position of x
 * gets at most one dy, and MaxUnpool, which writes each at its index into zeros, is the sum.
 * On x [64, 16, 24, 24], 2×2 windows, one thread, MaxPool with indices and MaxUnpool took 2.0 ms
 * against 3.0 with ScatterElements (bench/pool-grad.ts, medians of 40 runs, load 5).
 */
function apart(a: Pool2dAttrs): boolean {
  return (
    a.stride[0] >= a.kernel[0] &&
    a.stride[1] >= a.kernel[1] &&
    a.padding[0] === 0 &&
    a.padding[1] === 0
  );
}

function emitPortable(
  g: GraphBuilder,
  x: string,
  dy: string,
  a: Pool2dAttrs,
  xShape: readonly number[],
  dyShape: readonly number[],
): string {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [oh, ow] = [dyShape[2] as number, dyShape[3] as number];
  const [kh, kw] = a.kernel;
  const [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  const size = n * c * h * w;
  const padded =
    ph === 0 && pw === 0
      ? x
      : g.op('Pad', [x, g.int64s([0, 0, ph, pw, 0, 0, ph, pw]), g.float(-Infinity)]);
  const windows: string[] = [];
  const rowOffsets: number[] = [];
  const colOffsets: number[] = [];
  for (let di = 0; di < kh; di++) {
    for (let dj = 0; dj < kw; dj++) {
      const slice = g.op('Slice', [
        padded,
        g.int64s([di, dj]),
        g.int64s([di + (oh - 1) * sh + 1, dj + (ow - 1) * sw + 1]),
        g.int64s([2, 3]),
        g.int64s([sh, sw]),
      ]);
      windows.push(g.op('Unsqueeze', [slice, g.int64s([0])]));
      rowOffsets.push(di);
      colOffsets.push(dj);
    }
  }
  const stacked =
    windows.length === 1 ? (windows[0] as string) : g.op('Concat', windows, [attr.int('axis', 0)]);
  // int64 window offsets, used only as Gather indices: the webgpu provider casts no int64.
  const pick = g.op(
    'ArgMax',
    [stacked],
    [attr.int('axis', 0), attr.int('keepdims', 0), attr.int('select_last_index', 0)],
  );
  const rows = g.op('Add', [
    g.int32s(
      Array.from({ length: oh }, (_, i) => i * sh - ph),
      [oh, 1],
    ),
    g.op('Gather', [g.int32s(rowOffsets), pick]),
  ]);
  const cols = g.op('Add', [
    g.int32s(Array.from({ length: ow }, (_, j) => j * sw - pw)),
    g.op('Gather', [g.int32s(colOffsets), pick]),
  ]);
  const inside = (v: string, limit: number) =>
    g.op('And', [g.op('GreaterOrEqual', [v, g.int32(0)]), g.op('Less', [v, g.int32(limit)])]);
  const planes = g.int32s(
    Array.from({ length: n * c }, (_, p) => p * h * w),
    [n, c, 1, 1],
  );
  const flat = g.op('Add', [g.op('Add', [g.op('Mul', [rows, g.int32(w)]), cols]), planes]);
  const index = g.op('Where', [
    g.op('And', [inside(rows, h), inside(cols, w)]),
    flat,
    g.int32(size),
  ]);
  const sums = scatterAdd(g, size + 1, index, dy);
  const kept = g.op('Slice', [sums, g.int64s([0]), g.int64s([size])]);
  return g.op('Reshape', [kept, g.int64s(xShape)]);
}

export const maxPool2dGrad: OnnxKernel<Pool2dAttrs> = ([x, dy], a) => {
  const size = x?.size ?? 0;
  const xShape = x?.shape ?? [];
  const dyShape = dy?.shape ?? [];
  return {
    signature: `maxPool2dGrad{${poolKey(a)}}`,
    work: (dy?.size ?? 0) * a.kernel[0] * a.kernel[1],
    emit: (g, [xv, dyv], _params, shape) =>
      g.portable && size < INT32_LIMIT
        ? emitPortable(g, xv as string, dyv as string, a, xShape, dyShape)
        : emitWithIndices(g, xv as string, dyv as string, a, size, shape),
  };
};
