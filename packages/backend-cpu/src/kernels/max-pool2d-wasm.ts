/**
 * The 2×2, stride 2 max pool and its gradient in WebAssembly, without branches: each window's
 * four values in row-major order, a later one taken where `f32.gt` says it is greater (so a NaN
 * first stays, a NaN later is passed over, −0 then +0 keeps −0: the rule of `max-pool2d.ts`),
 * through a bit mask rather than a branch. On random data a branch per comparison is mispredicted
 * about half the time: the TypeScript loops took 3.1 ms on [64, 16, 24, 24] where they took 0.6 ms
 * on zeros; this takes 0.7 ms on either (the gradient 1.7 against 6.2 ms for the general loops).
 * Planes are copied into the module's memory a block at a time.
 */
import {
  BLOCK,
  br,
  brIf,
  END,
  get,
  I32,
  I32_ADD,
  I32_EQ,
  I32_EQZ,
  I32_LT_U,
  I32_MUL,
  I32_SUB,
  i32Const,
  instantiate,
  LOOP,
  leb,
  moduleOf,
  set,
  vector,
} from './wasm-assembler.js';

const F32 = 0x7d;
const f32Load = (offset: number) => [0x2a, 2, ...leb(offset)];
const f32Store = (offset: number) => [0x38, 2, ...leb(offset)];
const F32_GT = 0x5e;
const F32_ADD = 0x92;
const F32_ZERO = [0x43, 0, 0, 0, 0];
const I32_AND = 0x71;
const I32_XOR = 0x73;
const I32_REINTERPRET = 0xbc;
const F32_REINTERPRET = 0xbe;

type Six = readonly [number, number, number, number, number, number];

/**
 * The loops both functions share: for each of `planes` planes (h·w float32 at `x`, 4·h·w bytes
 * apart), for each of its `ho` pairs of rows, for each of `wo` windows: `window` with locals R0
 * and R1 at the window's top-left and bottom-left values. `next` advances the output's locals.
 */
function loops(
  [X, PLANES, H, W, HO, WO]: Six,
  [PLANE_LEFT, XP, ROWS_LEFT, R0, R1, ROW_END]: Six,
  window: number[],
): number[] {
  return [
    ...[...get(PLANES), ...set(PLANE_LEFT), ...get(X), ...set(XP)],
    ...BLOCK,
    ...LOOP,
    ...[...get(PLANE_LEFT), I32_EQZ, ...brIf(1)],
    ...[...get(HO), ...set(ROWS_LEFT), ...get(XP), ...set(R0)],
    ...BLOCK,
    ...LOOP,
    ...[...get(ROWS_LEFT), I32_EQZ, ...brIf(1)],
    ...[...get(R0), ...get(W), ...i32Const(4), I32_MUL, I32_ADD, ...set(R1)],
    ...[...get(R0), ...get(WO), ...i32Const(8), I32_MUL, I32_ADD, ...set(ROW_END)],
    ...LOOP, // wo ≥ 1: the test is at the bottom
    ...window,
    ...[...get(R0), ...i32Const(8), I32_ADD, ...set(R0)],
    ...[...get(R1), ...i32Const(8), I32_ADD, ...set(R1)],
    ...[...get(R0), ...get(ROW_END), I32_LT_U, ...brIf(0)],
    END,
    // The next pair of rows starts 2·w values after this one: r0 + 8·(w − wo).
    ...[...get(R0), ...get(W), ...get(WO), I32_SUB, ...i32Const(8), I32_MUL, I32_ADD, ...set(R0)],
    ...[...get(ROWS_LEFT), ...i32Const(-1), I32_ADD, ...set(ROWS_LEFT)],
    ...br(0),
    END,
    END,
    ...[...get(XP), ...get(H), ...get(W), I32_MUL, ...i32Const(4), I32_MUL, I32_ADD, ...set(XP)],
    ...[...get(PLANE_LEFT), ...i32Const(-1), I32_ADD, ...set(PLANE_LEFT)],
    ...br(0),
    END,
    END,
  ];
}

/**
 * `best` = the window's first maximum; with `at`, also its position 0–3 in row-major order. Each
 * later value v is taken through a mask (`m = −(v > best)`, bits `best ^ ((v ^ best) & m)`), not
 * `select` nor a branch: V8 compiles float `select` to a branch, which random data mispredicts.
 */
function firstMaximum(R0: number, R1: number, l: Locals, AT?: number): number[] {
  const code = [...get(R0), ...f32Load(0), ...set(l.best), ...get(l.best), I32_REINTERPRET];
  code.push(...set(l.bits));
  if (AT !== undefined) code.push(...i32Const(0), ...set(AT));
  const values = [
    [...get(R0), ...f32Load(4)],
    [...get(R1), ...f32Load(0)],
    [...get(R1), ...f32Load(4)],
  ];
  values.forEach((load, k) => {
    code.push(...load, ...set(l.v));
    code.push(...i32Const(0), ...get(l.v), ...get(l.best), F32_GT, I32_SUB, ...set(l.m));
    code.push(...get(l.bits), ...get(l.v), I32_REINTERPRET, ...get(l.bits), I32_XOR);
    code.push(...get(l.m), I32_AND, I32_XOR, ...set(l.bits));
    code.push(...get(l.bits), F32_REINTERPRET, ...set(l.best));
    if (AT !== undefined) {
      code.push(...get(AT), ...i32Const(k + 1), ...get(AT), I32_XOR, ...get(l.m), I32_AND);
      code.push(I32_XOR, ...set(AT));
    }
  });
  return code;
}

/** The scratch locals of {@link firstMaximum}: f32 best and v, i32 bits of best and mask m. */
interface Locals {
  readonly best: number;
  readonly v: number;
  readonly bits: number;
  readonly m: number;
}

/** `pool(x, out, planes, h, w, ho, wo)`: params 0–6; locals 7–14 i32, 15–16 f32. */
function poolBody(): number[] {
  const [X, OUT, PLANES, H, W, HO, WO] = [0, 1, 2, 3, 4, 5, 6];
  const [PLANE_LEFT, XP, ROWS_LEFT, R0, R1, ROW_END] = [7, 8, 9, 10, 11, 12];
  const l = { m: 13, bits: 14, best: 15, v: 16 };
  const window = [
    ...firstMaximum(R0, R1, l),
    ...[...get(OUT), ...get(l.best), ...f32Store(0)],
    ...[...get(OUT), ...i32Const(4), I32_ADD, ...set(OUT)],
  ];
  return [
    ...vector([
      [8, I32],
      [2, F32],
    ]),
    ...loops([X, PLANES, H, W, HO, WO], [PLANE_LEFT, XP, ROWS_LEFT, R0, R1, ROW_END], window),
    END,
  ];
}

/**
 * `grad(x, dy, dx, planes, h, w, ho, wo)`: params 0–7 (dx at the same offsets from `dx` as x
 * from `x`); locals 8–18 i32, 19–21 f32. Each window writes its four dx: dy + 0 at its first
 * maximum, +0 elsewhere (dy's bits and a mask).
 */
function gradBody(): number[] {
  const [X, DY, DX, PLANES, H, W, HO, WO] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [PLANE_LEFT, XP, ROWS_LEFT, R0, R1, ROW_END, AT, DXD, GI] = [
    8, 9, 10, 11, 12, 13, 14, 15, 16,
  ];
  const l = { m: 17, bits: 18, best: 19, v: 20 };
  const window = [
    ...firstMaximum(R0, R1, l, AT),
    ...[...get(DY), ...f32Load(0), ...F32_ZERO, F32_ADD, I32_REINTERPRET, ...set(GI)],
    ...[...get(DY), ...i32Const(4), I32_ADD, ...set(DY)],
  ];
  [
    [R0, 0],
    [R0, 4],
    [R1, 0],
    [R1, 4],
  ].forEach(([row, offset], k) => {
    window.push(...get(row as number), ...get(DXD), I32_ADD);
    window.push(...get(GI), ...i32Const(0), ...get(AT), ...i32Const(k), I32_EQ, I32_SUB, I32_AND);
    window.push(F32_REINTERPRET, ...f32Store(offset as number));
  });
  return [
    ...vector([
      [11, I32],
      [2, F32],
    ]),
    ...[...get(DX), ...get(X), I32_SUB, ...set(DXD)],
    ...loops([X, PLANES, H, W, HO, WO], [PLANE_LEFT, XP, ROWS_LEFT, R0, R1, ROW_END], window),
    END,
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return moduleOf([
    { name: 'pool', params: new Array<number>(7).fill(I32), body: poolBody() },
    { name: 'grad', params: new Array<number>(8).fill(I32), body: gradBody() },
  ]);
}

interface PoolWasm {
  readonly memory: WebAssembly.Memory;
  readonly pool: (...args: number[]) => void;
  readonly grad: (...args: number[]) => void;
}

const exports = instantiate(moduleBytes());
const kernel: PoolWasm | null =
  exports === null
    ? null
    : {
        memory: exports.memory as WebAssembly.Memory,
        pool: exports.pool as PoolWasm['pool'],
        grad: exports.grad as PoolWasm['grad'],
      };

/** Bytes of x per block of planes copied in (a block is at least one plane). */
const BLOCK_BYTES = 2 ** 19;
/** Planes larger than this run the TypeScript loops. */
const MAX_PLANE_BYTES = 2 ** 24;

/** The module with at least `bytes` of memory. */
function memoryOf(k: PoolWasm, bytes: number): Float32Array {
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return new Float32Array(k.memory.buffer);
}

/**
 * The maxima of 2×2 windows at stride 2 of planes `[first, end)` (h×w each) into `out` (ho×wo
 * each); false (nothing done) where WebAssembly is missing or a plane is too large.
 */
export function maxPool2x2Wasm(
  x: Float32Array,
  out: Float32Array,
  h: number,
  w: number,
  ho: number,
  wo: number,
  first: number,
  end: number,
): boolean {
  const k = kernel;
  if (k === null || 4 * h * w > MAX_PLANE_BYTES) return false;
  const size = h * w;
  const block = Math.max(1, Math.floor(BLOCK_BYTES / (4 * size)));
  const f32 = memoryOf(k, 4 * block * (size + ho * wo));
  const outAt = block * size;
  for (let p = first; p < end; p += block) {
    const planes = Math.min(block, end - p);
    f32.set(x.subarray(p * size, (p + planes) * size), 0);
    k.pool(0, 4 * outAt, planes, h, w, ho, wo);
    out.set(f32.subarray(outAt, outAt + planes * ho * wo), p * ho * wo);
  }
  return true;
}

/**
 * The gradient of {@link maxPool2x2Wasm}: dy + 0 at each window's first maximum, +0 elsewhere
 * (the row and column no window covers included); false where it did nothing.
 */
export function maxPool2x2GradWasm(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  h: number,
  w: number,
  ho: number,
  wo: number,
  first: number,
  end: number,
): boolean {
  const k = kernel;
  if (k === null || 4 * h * w > MAX_PLANE_BYTES) return false;
  const size = h * w;
  const block = Math.max(1, Math.floor(BLOCK_BYTES / (4 * size)));
  const f32 = memoryOf(k, 4 * block * (2 * size + ho * wo));
  const dxAt = block * size;
  const dyAt = 2 * block * size;
  for (let p = first; p < end; p += block) {
    const planes = Math.min(block, end - p);
    f32.set(x.subarray(p * size, (p + planes) * size), 0);
    f32.set(dy.subarray(p * ho * wo, (p + planes) * ho * wo), dyAt);
    if (h > 2 * ho || w > 2 * wo) f32.fill(0, dxAt, dxAt + planes * size);
    k.grad(0, 4 * dyAt, 4 * dxAt, planes, h, w, ho, wo);
    dx.set(f32.subarray(dxAt, dxAt + planes * size), p * size);
  }
  return true;
}
