/**
 * Copies a block of a tensor between two arrays of different shapes (what `slice`, `pad` and
 * `concat` are): the block's axes are merged wherever both sides are contiguous across them, and
 * the innermost merged axis is copied as runs. Moves int32 bits, so both dtypes take one loop and
 * a float's bits are kept exactly. Split between threads by runs when large.
 */
import { bitsOf, type CpuContext } from './context.js';

/**
 * Where a block lies in its source and its destination: `runs` rows of `run` contiguous elements,
 * row `r` at coordinates `(c₀, c₁, …)` over `outer` (outermost first), starting in the source at
 * `srcOffset + Σ cᵢ·srcStrides[i]` and likewise in the destination. Plain data, for the workers.
 */
export interface BlockLayout {
  readonly run: number;
  readonly outer: readonly number[];
  readonly srcStrides: readonly number[];
  readonly dstStrides: readonly number[];
  readonly srcOffset: number;
  readonly dstOffset: number;
}

/**
 * The layout of a block of `size` read with `srcStrides` from `srcOffset` and written with
 * `dstStrides` from `dstOffset` (the last axis contiguous on both sides).
 */
export function blockLayout(
  size: readonly number[],
  srcStrides: readonly number[],
  dstStrides: readonly number[],
  srcOffset: number,
  dstOffset: number,
): BlockLayout {
  const sizes: number[] = [];
  const src: number[] = [];
  const dst: number[] = [];
  size.forEach((n, d) => {
    if (n === 1) return;
    const last = sizes.length - 1;
    const s = srcStrides[d] as number;
    const t = dstStrides[d] as number;
    // Axis d continues the previous one where, on both sides, a step of the previous axis is a
    // step of n along d.
    if (last >= 0 && src[last] === s * n && dst[last] === t * n) {
      sizes[last] = (sizes[last] as number) * n;
      src[last] = s;
      dst[last] = t;
    } else {
      sizes.push(n);
      src.push(s);
      dst.push(t);
    }
  });
  if (size.includes(0)) {
    return { run: 0, outer: [], srcStrides: [], dstStrides: [], srcOffset, dstOffset };
  }
  // The innermost axis left is the run where it is contiguous on both sides (it is not when the
  // block's last axes have size 1: then every run is one element).
  const last = sizes.length - 1;
  let run = 1;
  if (last >= 0 && src[last] === 1 && dst[last] === 1) {
    run = sizes.pop() as number;
    src.pop();
    dst.pop();
  }
  return { run, outer: sizes, srcStrides: src, dstStrides: dst, srcOffset, dstOffset };
}

/** The number of runs of a block. */
export const runsOf = (layout: BlockLayout): number =>
  layout.run === 0 ? 0 : layout.outer.reduce((p, q) => p * q, 1);

/** Runs shorter than this are copied by a loop; longer ones by `set` (a memcpy). */
const SET_FROM = 48;

/** Copies runs `[first, end)` of the block from `src` to `dst`. */
export function copyRuns(
  src: Int32Array,
  dst: Int32Array,
  layout: BlockLayout,
  first: number,
  end: number,
): void {
  const { run, outer, srcStrides, dstStrides } = layout;
  for (let r = first; r < end; r++) {
    let s = layout.srcOffset;
    let d = layout.dstOffset;
    let rest = r;
    for (let a = outer.length - 1; a >= 0 && rest > 0; a--) {
      const n = outer[a] as number;
      const c = rest % n;
      rest = (rest - c) / n;
      s += c * (srcStrides[a] as number);
      d += c * (dstStrides[a] as number);
    }
    if (run >= SET_FROM) {
      dst.set(src.subarray(s, s + run), d);
    } else {
      for (let i = 0; i < run; i++) dst[d + i] = src[s + i] as number;
    }
  }
}

/** Copies the block of `layout` from `src` to `dst`, split between threads when large. */
export function copyBlock(
  ctx: CpuContext,
  src: Float32Array | Int32Array,
  dst: Float32Array | Int32Array,
  layout: BlockLayout,
  split: boolean,
): void {
  const runs = runsOf(layout);
  if (split && runs > 1) {
    ctx.runSplit({ kind: 'copy', src: bitsOf(ctx.share(src)), dst: bitsOf(dst), layout }, runs);
  } else {
    copyRuns(bitsOf(src), bitsOf(dst), layout, 0, runs);
  }
}
