/**
 * Shared geometry of the 2-D convolutions and pools (NCHW): option parsing, output sizes, and one
 * float64 loop over every (output, input, weight) triple that the references of the forward op
 * and of both gradients are written with.
 */
import { formatShape } from '../../shape.js';
import { describe } from '../../validate.js';
import { optionsOf } from '../define.js';

/** A pair of sizes, height then width. */
export type Pair = readonly [number, number];

/** What the conv2d kernels get: stride, zero padding on each side, dilation, groups. */
export interface Conv2dAttrs {
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;
}

/** The options of `conv2d`: a number means the same for height and width. */
export interface Conv2dOptions {
  readonly stride?: number | Pair;
  readonly padding?: number | Pair;
  readonly dilation?: number | Pair;
  readonly groups?: number;
}

/** A number or a pair of integers ≥ `min`, as a pair. */
export function pairOf(
  where: string,
  arg: string,
  value: unknown,
  fallback: number,
  min: number,
): Pair {
  const v = value === undefined ? fallback : value;
  const pair = typeof v === 'number' ? [v, v] : v;
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    !pair.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= min)
  ) {
    throw new RangeError(
      `${where}: ${arg} must be an integer ≥ ${min} or a pair of them, got ${describe(value)}`,
    );
  }
  return [pair[0] as number, pair[1] as number];
}

/** An integer ≥ 1. */
export function positiveInt(where: string, arg: string, value: unknown, fallback: number): number {
  const v = value === undefined ? fallback : value;
  if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= 1)) {
    throw new RangeError(`${where}: ${arg} must be an integer ≥ 1, got ${describe(value)}`);
  }
  return v;
}

/** Parses conv2d options. */
export function conv2dAttrs(where: string, options: unknown): Conv2dAttrs {
  const o = optionsOf<Conv2dOptions>(where, options);
  return {
    stride: pairOf(where, 'stride', o.stride, 1, 1),
    padding: pairOf(where, 'padding', o.padding, 0, 0),
    dilation: pairOf(where, 'dilation', o.dilation, 1, 1),
    groups: positiveInt(where, 'groups', o.groups, 1),
  };
}

/** The output size along one axis: `floor((size + 2·pad − dilation·(k − 1) − 1) / stride) + 1`. */
export function outSize(
  size: number,
  k: number,
  stride: number,
  pad: number,
  dilation: number,
): number {
  return Math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
}

/**
 * Checks `x` [N, C, H, W] against `weights` [O, C/groups, kh, kw] and returns the output shape
 * [N, O, Ho, Wo]. Errors name `xName` and `wName`.
 */
export function conv2dShape(
  where: string,
  x: readonly number[],
  w: readonly number[],
  a: Conv2dAttrs,
  xName = 'x',
  wName = 'weights',
): [number, number, number, number] {
  if (x.length !== 4) {
    throw new RangeError(
      `${where}: ${xName} must be 4-D [batch, channels, height, width], got ${formatShape(x)}`,
    );
  }
  if (w.length !== 4) {
    throw new RangeError(
      `${where}: ${wName} must be 4-D [out, in/groups, kernelHeight, kernelWidth], got ${formatShape(w)}`,
    );
  }
  const [n, c, h, wd] = x as [number, number, number, number];
  const [o, cg, kh, kw] = w as [number, number, number, number];
  if (c % a.groups !== 0 || o % a.groups !== 0) {
    throw new RangeError(
      `${where}: groups (${a.groups}) must divide the input channels (${c}) and the output channels (${o})`,
    );
  }
  if (cg * a.groups !== c) {
    throw new RangeError(
      `${where}: ${wName} ${formatShape(w)} takes ${cg} channels per group, but ${xName} ${formatShape(x)} has ${c} channels in ${a.groups} group${a.groups === 1 ? '' : 's'} (${c / a.groups} each)`,
    );
  }
  const ho = outSize(h, kh, a.stride[0], a.padding[0], a.dilation[0]);
  const wo = outSize(wd, kw, a.stride[1], a.padding[1], a.dilation[1]);
  if (ho < 1 || wo < 1) {
    throw new RangeError(
      `${where}: the kernel (${kh}×${kw}, dilation ${a.dilation.join('×')}) does not fit ${xName} ${formatShape(x)} padded by ${a.padding.join('×')}: the output would be ${ho}×${wo}`,
    );
  }
  return [n, o, ho, wo];
}

/**
 * Calls `each(xi, wi, yi)` for every product `x[xi] · w[wi]` that conv2d adds into `y[yi]`
 * (flat row-major indices), skipping zero padding.
 */
export function forEachConvTerm(
  x: readonly number[],
  w: readonly number[],
  a: Conv2dAttrs,
  each: (xi: number, wi: number, yi: number) => void,
): void {
  const [n, c, h, wd] = x as [number, number, number, number];
  const [o, cg, kh, kw] = w as [number, number, number, number];
  const ho = outSize(h, kh, a.stride[0], a.padding[0], a.dilation[0]);
  const wo = outSize(wd, kw, a.stride[1], a.padding[1], a.dilation[1]);
  const og = o / a.groups;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / og);
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          const yi = ((b * o + oc) * ho + i) * wo + j;
          for (let ci = 0; ci < cg; ci++) {
            const ic = g * cg + ci;
            for (let p = 0; p < kh; p++) {
              const hh = i * a.stride[0] - a.padding[0] + p * a.dilation[0];
              if (hh < 0 || hh >= h) continue;
              for (let q = 0; q < kw; q++) {
                const ww = j * a.stride[1] - a.padding[1] + q * a.dilation[1];
                if (ww < 0 || ww >= wd) continue;
                each(((b * c + ic) * h + hh) * wd + ww, ((oc * cg + ci) * kh + p) * kw + q, yi);
              }
            }
          }
        }
      }
    }
  }
}

/** The longest sum a conv2d output or gradient element is: for Higham's bound. */
export function convTerms(x: readonly number[], w: readonly number[], a: Conv2dAttrs): number {
  const [n, , h, wd] = x as [number, number, number, number];
  const [o, cg, kh, kw] = w as [number, number, number, number];
  const ho = outSize(h, kh, a.stride[0], a.padding[0], a.dilation[0]);
  const wo = outSize(wd, kw, a.stride[1], a.padding[1], a.dilation[1]);
  // Forward: cg·kh·kw; input gradient: at most (o/groups)·kh·kw; weights gradient: n·ho·wo.
  return Math.max(cg * kh * kw, (o / a.groups) * kh * kw, n * ho * wo) + 1;
}
