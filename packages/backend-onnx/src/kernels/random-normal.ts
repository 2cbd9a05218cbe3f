/**
 * Standard normal draws as a counter-based generator written in ONNX integer ops, so that the
 * numbers depend on the key alone (not on a session's state, as RandomNormalLike's do), the key
 * is a graph input (every call reuses one cached session), and the work runs on ONNX Runtime's
 * multithreaded kernels (3× faster than RandomNormalLike here; see README).
 *
 * For a tensor of n elements and m = ⌈n/2⌉ pairs, pair j gets
 *   s  = j · a + b                      (mod 2^32; a odd, so distinct j give distinct s)
 *   h1 = lowbias32(s),  h2 = lowbias32(h1 + φ)
 *   r  = √(−2 ln u1),   u1 = (h1 | 1) · 2^-32 ∈ (0, 1]
 *   θ  = 2π · h2 · 2^-32
 * and elements j and m + j are r·cos θ and r·sin θ (Box–Muller). The key words (a, b) come from
 * (seed, counter) through a 64-bit mix in JavaScript (keyWords), so successive counters give
 * unrelated Weyl sequences. lowbias32 is Wellons' 32-bit integer mixer.
 */
import { mix32, type RandomKey, type RandomNormalAttrs } from '@illia-ts/core';
import { attr, type GraphBuilder } from '../graph/graph-builder.js';
import type { LazyOp, ScalarParam } from '../graph/lazy-tensor.js';
import { DataType } from '../proto/onnx.js';
import type { OnnxKernel } from './kernel.js';

const GOLDEN = 0x9e3779b9;

/** The Weyl multiplier `a` (odd) and offset `b` of a key. */
export function keyWords(key: RandomKey): { a: number; b: number } {
  const s = mix32(key.seed ^ 0x243f6a88);
  const c = mix32(key.counter ^ 0x85a308d3);
  const a = (mix32(s ^ mix32(c + GOLDEN)) | 1) >>> 0;
  const b = mix32(c ^ mix32(s + 0x3c6ef372));
  return { a, b };
}

/** The key as the two uint32 params the normal graph takes. */
export function keyParams(key: RandomKey): ScalarParam[] {
  const { a, b } = keyWords(key);
  return [
    { type: 'uint32', value: a },
    { type: 'uint32', value: b },
  ];
}

const RIGHT = [attr.string('direction', 'RIGHT')];

function emitMix32(g: GraphBuilder, x: string): string {
  const xorShift = (v: string, bits: number) =>
    g.op('BitwiseXor', [v, g.op('BitShift', [v, g.uint32(bits)], RIGHT)]);
  let h = xorShift(x, 16);
  h = g.op('Mul', [h, g.uint32(0x7feb352d)]);
  h = xorShift(h, 15);
  h = g.op('Mul', [h, g.uint32(0x846ca68b)]);
  return xorShift(h, 16);
}

/**
 * Pairs per chunk of a large draw. ONNX Runtime runs each op of a graph over its whole tensor
 * before the next op starts, so the ~30 integer and float passes of the generator stream every
 * intermediate through memory: at 10⁷ draws each one is 20 MB, far past the caches, and the
 * generator ran 1.3–1.7× slower per draw than at 10⁶ (intermediates of 2 MB). Large draws are
 * therefore emitted as independent chains of at most this many pairs (1 MB intermediates),
 * which ONNX Runtime's depth-first node order runs one after the other, each in cache; only the
 * final Concat touches the whole output. Each element gets exactly the ops it got unchunked.
 */
export const CHUNK_PAIRS = 2 ** 18;

/**
 * The most chunks of one draw: past 2^25 pairs (2^26 elements) chunks grow instead, so that a draw of 2^32 − 1
 * elements is 128 chains (about 4,000 nodes), not 8,192 (260,000 nodes, which ONNX Runtime takes
 * minutes to make a session of). The numbers do not depend on the chunking.
 */
export const MAX_CHUNKS = 128;

/**
 * The uint32 words `h1`, `h2` of pairs `j + j0` (j a uint32 value): the integer half of the
 * generator, exact on every provider (uint32 Mul and Add wrap modulo 2^32; ONNX Runtime 1.30's
 * webgpu provider runs BitShift, BitwiseXor and BitwiseOr on its CPU fallback).
 */
export function emitHashes(
  g: GraphBuilder,
  j: string,
  j0: number,
  a: string,
  b: string,
): [string, string] {
  const offset = j0 === 0 ? b : g.op('Add', [g.op('Mul', [g.uint32(j0), a]), b]);
  const s = g.op('Add', [g.op('Mul', [j, a]), offset]);
  const h1 = emitMix32(g, s);
  return [h1, emitMix32(g, g.op('Add', [h1, g.uint32(GOLDEN)]))];
}

/**
 * Appends the generator for pairs `j0 … j0 + count − 1` keyed by `a`, `b`: returns a `[2, count]`
 * value whose rows are the cos and sin draws. `j` is the constant `0 … count − 1` (folded by ONNX
 * Runtime), so the chunk's offset enters as `b + j0·a` (mod 2^32, exactly `(j + j0)·a + b`).
 */
function emitPairs(
  g: GraphBuilder,
  j0: number,
  count: number,
  a: string,
  b: string,
  stacked: boolean,
): string {
  const j = g.op(
    'Cast',
    [g.op('Range', [g.int32(0), g.int32(count), g.int32(1)])],
    [attr.int('to', DataType.UINT32)],
  );
  const [h1, h2] = emitHashes(g, j, j0, a, b);
  const toFloat = (v: string) => g.op('Cast', [v], [attr.int('to', DataType.FLOAT)]);
  // (h1 | 1) > 0, so u1 > 0 and its log is finite; u1 may round up to 1 (r = 0), harmlessly.
  const u1 = g.op('Mul', [toFloat(g.op('BitwiseOr', [h1, g.uint32(1)])), g.float(2 ** -32)]);
  const r = g.op('Sqrt', [g.op('Mul', [g.op('Log', [u1]), g.float(-2)])]);
  const theta = g.op('Mul', [toFloat(h2), g.float(2 * Math.PI * 2 ** -32)]);
  const cos = g.op('Mul', [r, g.op('Cos', [theta])]);
  const sin = g.op('Mul', [r, g.op('Sin', [theta])]);
  if (!stacked) return g.op('Concat', [cos, sin], [attr.int('axis', 0)]);
  const row = (v: string) => g.op('Unsqueeze', [v, g.int64s([0])]);
  return g.op('Concat', [row(cos), row(sin)], [attr.int('axis', 0)]);
}

/**
 * Appends the graph of `size` standard normal draws keyed by the uint32 inputs `a` and `b`;
 * returns a flat float32 value of `size` elements.
 */
export function emitNormals(g: GraphBuilder, size: number, a: string, b: string): string {
  const pairs = Math.ceil(size / 2);
  let both: string;
  if (pairs <= 2 * CHUNK_PAIRS) {
    both = emitPairs(g, 0, pairs, a, b, false);
  } else {
    // [2, pairs] from [2, chunk] pieces: row 0 all the cos draws, row 1 all the sin draws, so
    // the flat layout (element j, then element pairs + j) is the unchunked one.
    const chunk = Math.max(CHUNK_PAIRS, Math.ceil(pairs / MAX_CHUNKS));
    const pieces: string[] = [];
    for (let j0 = 0; j0 < pairs; j0 += chunk) {
      pieces.push(emitPairs(g, j0, Math.min(chunk, pairs - j0), a, b, true));
    }
    const rows = g.op('Concat', pieces, [attr.int('axis', 1)]);
    both = g.op('Reshape', [rows, g.int64s([2 * pairs])]);
  }
  return 2 * pairs === size ? both : g.op('Slice', [both, g.int64s([0]), g.int64s([size])]);
}

/** Appends the normals of `shape`, reshaped. */
export function emitNormalsOfShape(
  g: GraphBuilder,
  shape: readonly number[],
  a: string,
  b: string,
): string {
  const size = shape.reduce((p, d) => p * d, 1);
  return g.op('Reshape', [emitNormals(g, size, a, b), g.int64s(shape)]);
}

/** The draws of the node's shape; the key enters as params (one session for every key). */
const RANDOM_NORMAL: LazyOp = {
  signature: 'randomNormal',
  emit: (g, _inputs, [a, b], shape) => emitNormalsOfShape(g, shape, a as string, b as string),
};

export const randomNormal: OnnxKernel<RandomNormalAttrs> = (_inputs, { key }) => ({
  ...RANDOM_NORMAL,
  params: keyParams(key),
});
