/**
 * The micro-kernels of `matmul.ts` in WebAssembly SIMD, where the runtime has it: the same 3×4
 * tile over the same packed panels, two columns per f64x2 lane pair, 3.4 times as fast here
 * (12.0 → 3.5 ms for 128×784·784×400). Every lane does what the TypeScript kernel does, in the
 * same order: `acc = acc + a·b` as an f64x2 multiply then an f64x2 add (never a fused
 * multiply-add), so the bits are the same with or without SIMD (but for the sign and payload of
 * a NaN, which neither JavaScript nor WebAssembly specifies).
 *
 * The module (under 1 KB) is assembled here byte by byte: no toolchain, no file to load, and it
 * compiles synchronously at import, in every thread that runs kernels. Where WebAssembly SIMD is
 * missing, {@link wasmTiles} is null and `matmul.ts` runs its TypeScript kernels.
 */

import {
  instantiate as compile,
  F64X2_ADD,
  F64X2_MUL,
  get,
  I32,
  I32_ADD,
  I32_MUL,
  i32Const,
  leb,
  load64Splat,
  name,
  section,
  set,
  V128,
  v128Load,
  v128Store,
  vector,
} from './wasm-assembler.js';

/** Bytes of one row of a packed op(a) panel step (3 float64) and of op(b) (4 float64). */
const A_STEP = 24;
const B_STEP = 32;
/**
 * The kernels write their 3×4 float64 tile, row-major, at byte 0 of the memory (96 bytes); the
 * packed panels may start here, after it, 16-byte aligned.
 */
export const PANELS_AT = 128;
/** At most this much memory (bytes): a larger product runs the TypeScript kernels. */
const MAX_BYTES = 2 ** 26;

/** The two kernels and their memory. */
export interface WasmTiles {
  readonly memory: WebAssembly.Memory;
  /**
   * The tile at byte 0 from the row panel at byte `ap` and the column panel at byte `bp`, over
   * every step p = 0 … k − 1 (k ≥ 1).
   */
  readonly dense: (ap: number, bp: number, k: number) => void;
  /** The same over the `count` steps listed as int32 from byte `list`. */
  readonly steps: (ap: number, bp: number, list: number, count: number) => void;
}

/**
 * One step of the tile: op(b)'s 4 values from byte local `b`, then each of op(a)'s 3 values from
 * byte local `a`, splatted, times both column pairs, added to the accumulators (locals
 * `acc … acc + 5`, row-major); `v` is the first of three v128 scratch locals.
 */
function step(a: number, b: number, acc: number, v: number): number[] {
  const code = [...get(b), ...v128Load(0), ...set(v), ...get(b), ...v128Load(16), ...set(v + 1)];
  for (let r = 0; r < 3; r++) {
    code.push(...get(a), ...load64Splat(8 * r), ...set(v + 2));
    for (let h = 0; h < 2; h++) {
      const c = acc + 2 * r + h;
      code.push(...get(c), ...get(v + 2), ...get(v + h), ...F64X2_MUL, ...F64X2_ADD, ...set(c));
    }
  }
  return code;
}

/** Stores the accumulators (locals `acc …`) as the row-major tile at byte 0. */
function storeTile(acc: number): number[] {
  const code: number[] = [];
  for (let c = 0; c < 6; c++) code.push(...i32Const(0), ...get(acc + c), ...v128Store(16 * c));
  return code;
}

/** `dense(ap, bp, k)`: params 0–2; locals: 3 end, 4–9 accumulators, 10–12 scratch. */
function denseBody(): number[] {
  return [
    ...vector([
      [1, I32],
      [9, V128],
    ]),
    ...get(0),
    ...get(2),
    ...i32Const(A_STEP),
    I32_MUL,
    I32_ADD,
    ...set(3),
    ...[0x03, 0x40], // loop (k ≥ 1: the test is at the bottom)
    ...step(0, 1, 4, 10),
    ...[...get(0), ...i32Const(A_STEP), I32_ADD, ...set(0)],
    ...[...get(1), ...i32Const(B_STEP), I32_ADD, ...set(1)],
    ...[...get(0), ...get(3), 0x49, 0x0d, 0], // br_if 0 (ap <u end)
    0x0b,
    ...storeTile(4),
    0x0b,
  ];
}

/**
 * `steps(ap, bp, list, count)`: params 0–3; locals: 4 end, 5 a, 6 b (byte addresses of the step),
 * 7 p, 8–13 accumulators, 14–16 scratch.
 */
function stepsBody(): number[] {
  return [
    ...vector([
      [4, I32],
      [9, V128],
    ]),
    ...[...get(2), ...get(3), ...i32Const(4), I32_MUL, I32_ADD, ...set(4)],
    ...[0x02, 0x40, 0x03, 0x40], // block, loop
    ...[...get(2), ...get(4), 0x4f, 0x0d, 1], // br_if 1 (list ≥u end)
    ...[...get(2), 0x28, 2, 0, ...set(7)], // p = i32.load(list)
    ...[...get(0), ...get(7), ...i32Const(A_STEP), I32_MUL, I32_ADD, ...set(5)],
    ...[...get(1), ...get(7), ...i32Const(B_STEP), I32_MUL, I32_ADD, ...set(6)],
    ...step(5, 6, 8, 14),
    ...[...get(2), ...i32Const(4), I32_ADD, ...set(2)],
    ...[0x0c, 0], // br 0
    ...[0x0b, 0x0b],
    ...storeTile(8),
    0x0b,
  ];
}

/** The module's bytes: two functions, one exported memory. */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const dense = denseBody();
  const steps = stepsBody();
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(
      1,
      vector([
        [0x60, ...vector([[I32], [I32], [I32]]), 0],
        [0x60, ...vector([[I32], [I32], [I32], [I32]]), 0],
      ]),
    ),
    ...section(3, vector([[0], [1]])),
    ...section(5, vector([[0x00, 1]])), // memory: 1 page to start, grown on demand
    ...section(
      7,
      vector([
        [...name('dense'), 0x00, 0],
        [...name('steps'), 0x00, 1],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(
      10,
      vector([
        [...leb(dense.length), ...dense],
        [...leb(steps.length), ...steps],
      ]),
    ),
  ]);
}

/** The kernels, or null where WebAssembly SIMD is unavailable. */
function instantiate(): WasmTiles | null {
  const exports = compile(moduleBytes());
  if (exports === null) return null;
  return {
    memory: exports.memory as WebAssembly.Memory,
    dense: exports.dense as WasmTiles['dense'],
    steps: exports.steps as WasmTiles['steps'],
  };
}

const tiles = instantiate();

/**
 * The kernels with at least `bytes` of memory, or null (no SIMD, or more than {@link MAX_BYTES}:
 * the memory of a module never shrinks).
 */
export function wasmTiles(bytes: number): WasmTiles | null {
  if (tiles === null || bytes > MAX_BYTES) return null;
  const have = tiles.memory.buffer.byteLength;
  if (have < bytes) tiles.memory.grow(Math.ceil((bytes - have) / 65536));
  return tiles;
}
