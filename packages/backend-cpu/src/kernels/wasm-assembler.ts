/**
 * The WebAssembly encodings that this backend's modules (`*-wasm.ts`, `conv-lanes.ts`, …) assemble
 * from, byte by byte: no toolchain and no file to load.
 */

/** Unsigned LEB128: sizes, counts, indices, alignments and memory offsets. */
export const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? byte : byte | 0x80);
  } while (n !== 0);
  return out;
};
export const vector = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
export const section = (id: number, bytes: number[]): number[] => [
  id,
  ...leb(bytes.length),
  ...bytes,
];
export const name = (s: string): number[] => vector([...s].map((c) => [c.charCodeAt(0)]));

export const I32 = 0x7f;
export const V128 = 0x7b;
export const get = (i: number) => [0x20, ...leb(i)];
export const set = (i: number) => [0x21, ...leb(i)];
export const tee = (i: number) => [0x22, ...leb(i)];
/** Signed LEB128, which `i32.const` takes (unsigned bytes would read 64 as −64). */
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
};
export const i32Const = (v: number) => [0x41, ...sleb(v)];
export const I32_ADD = 0x6a;
export const I32_MUL = 0x6c;
export const I32_LT_U = 0x49;
export const I32_GE_U = 0x4f;
export const I32_EQ = 0x46;
/** `i32.load` (align 4) at a byte offset. */
export const i32Load = (offset: number) => [0x28, 2, ...leb(offset)];
/** `f64.load` / `f64.store` (align 8) at a byte offset. */
export const f64Load = (offset: number) => [0x2b, 3, ...leb(offset)];
export const f64Store = (offset: number) => [0x39, 3, ...leb(offset)];
/** `f32.store` (align 4) at a byte offset. */
export const f32Store = (offset: number) => [0x38, 2, ...leb(offset)];
export const F32_DEMOTE_F64 = 0xb6;
export const simd = (op: number, ...rest: number[]) => [0xfd, ...leb(op), ...rest];
/** v128.load, v128.load64_splat, v128.store with an alignment exponent and a byte offset. */
export const v128Load = (offset: number) => simd(0x00, 4, ...leb(offset));
export const load64Splat = (offset: number) => simd(0x0a, 3, ...leb(offset));
export const v128Store = (offset: number) => simd(0x0b, 4, ...leb(offset));
export const V128_CONST_ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
export const f64x2Splat = simd(0x14);
export const f64x2ExtractLane = (lane: number) => simd(0x21, lane);
export const f64x2ReplaceLane = (lane: number) => simd(0x22, lane);
export const F64X2_ADD = simd(0xf0);
export const F64X2_MUL = simd(0xf2);
export const F64X2_SUB = simd(0xf1);
export const F64X2_DIV = simd(0xf3);
export const F64X2_PROMOTE_LOW_F32X4 = simd(0x5f);
export const F64 = 0x7c;
export const I32_SHL = 0x74;
export const I32_SUB = 0x6b;
export const I32_REM_U = 0x70;
export const I32_EQZ = 0x45;
/** Structured control: `block`, `loop` and `if` without results, `else`, `end`, branches. */
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const IF = [0x04, 0x40];
export const ELSE = 0x05;
export const END = 0x0b;
export const br = (depth: number) => [0x0c, depth];
export const brIf = (depth: number) => [0x0d, depth];
/** `local += bytes` (an i32 local). */
export const addToLocal = (local: number, bytes: number) => [
  ...get(local),
  ...i32Const(bytes),
  I32_ADD,
  ...set(local),
];

/** One exported function of a module: its name, parameter and result types, and code. */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly results?: readonly number[];
  /** Locals and instructions, ending with `end`. */
  readonly body: readonly number[];
}

/**
 * The bytes of a module with its own memory (`memory`, at least `pages` of 64 KiB, exported) and
 * `functions`, each exported under its name with a type of its own.
 */
export function moduleOf(functions: readonly WasmFunction[], pages = 1): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(
      1,
      vector(
        functions.map((f) => [
          0x60,
          ...vector(f.params.map((t) => [t])),
          ...vector((f.results ?? []).map((t) => [t])),
        ]),
      ),
    ),
    ...section(3, vector(functions.map((_, i) => leb(i)))),
    ...section(5, vector([[0x00, ...leb(pages)]])),
    ...section(
      7,
      vector([
        ...functions.map((f, i) => [...name(f.name), 0x00, ...leb(i)]),
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vector(functions.map((f) => [...leb(f.body.length), ...f.body]))),
  ]);
}

/** Whether this runtime compiles WebAssembly at all. */
export const hasWebAssembly = typeof WebAssembly === 'object';

/**
 * The exports of a module of these bytes, compiled synchronously, or null where WebAssembly (or
 * its SIMD) is unavailable.
 */
export function instantiate(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Exports | null {
  if (!hasWebAssembly) return null;
  try {
    if (!WebAssembly.validate(bytes)) return null;
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  } catch {
    return null;
  }
}
