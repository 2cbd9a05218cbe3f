/**
 * Softplus of a block of float32 rho in WebAssembly: the table path of `fast-math.ts`'s
 * `softplus` (`|x| < 16`: the piece `j = ⌊128x + 2048⌋`, `u = (s − j) − ½`, then
 * `c0[j] + u·(c1[j] + u·c2[j])`), the same float64 operations in the same order, so the same bits.
 * Elements outside the tables (`|x| ≥ 16`, NaN) are left for the caller, which `softplus` then
 * computes in TypeScript: the function returns how many there were.
 *
 * Why: in TypeScript the loop cost about 5 ns an element inside `sampleBlocks` (an uncached
 * sample at 1e6 on one thread: 9.3 against 4.4 ns with σ cached), for three loads and four flops.
 * Each thread's instance holds its own copy of the tables (2 pages).
 */
import { softplusTable } from './fast-math.js';
import {
  F64,
  get,
  I32,
  I32_ADD,
  I32_GE_U,
  I32_SHL,
  i32Const,
  instantiate,
  leb,
  moduleOf,
  set,
  tee,
  vector,
} from './wasm-assembler.js';

/** Elements per block (`random-normal.ts`'s BLOCK). */
export const SOFTPLUS_BLOCK = 2048;

const PIECES = (softplusTable.coefficients[0] as Float64Array).length;
/** Byte offsets: rho (float32), σ (float64), then the three coefficient tables. */
const RHO_AT = 0;
const SIGMA_AT = 4 * SOFTPLUS_BLOCK;
const TABLE_AT = 12 * SOFTPLUS_BLOCK;
const TABLE_BYTES = 8 * PIECES;
const PAGES = Math.ceil((TABLE_AT + 3 * TABLE_BYTES) / 65536);

const f64Const = (v: number): number[] => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)];
const F32_LOAD = (offset: number) => [0x2a, 2, ...leb(offset)];
const F64_LOAD = (offset: number) => [0x2b, 3, ...leb(offset)];
const F64_STORE = (offset: number) => [0x39, 3, ...leb(offset)];
const F64_PROMOTE_F32 = 0xbb;
const F64_ABS = 0x99;
const F64_LT = 0x63;
const F64_ADD = 0xa0;
const F64_SUB = 0xa1;
const F64_MUL = 0xa2;
const I32_TRUNC_F64_S = 0xaa;
const F64_CONVERT_I32_S = 0xb7;

/**
 * `softplus(count)`: σ[i] for i < count where |rho[i]| < 16; returns how many were not. Param 0
 * count; locals 1 the byte offset of rho[i], 2 the count outside, 3 x, 4 s, 5 u (f64), 6 j·8.
 */
function softplusBody(): number[] {
  const { limit, piecesPerUnit, offset } = softplusTable;
  return [
    ...vector([
      [2, I32],
      [3, F64],
      [1, I32],
    ]),
    ...[...get(0), ...i32Const(2), I32_SHL, ...set(0)], // count → bytes of rho
    ...[0x02, 0x40, 0x03, 0x40], // block, loop
    ...[...get(1), ...get(0), I32_GE_U, 0x0d, 1], // br_if 1 (past the end)
    ...[...get(1), ...F32_LOAD(RHO_AT), F64_PROMOTE_F32, ...tee(3)],
    ...[F64_ABS, ...f64Const(limit), F64_LT],
    ...[0x04, 0x40], // if |x| < limit
    // s = piecesPerUnit·x + offset, j = s | 0, u = (s − j) − ½: as the TypeScript computes them.
    ...[...get(3), ...f64Const(piecesPerUnit), F64_MUL, ...f64Const(offset), F64_ADD, ...tee(4)],
    ...[I32_TRUNC_F64_S, ...set(6)],
    ...[...get(4), ...get(6), F64_CONVERT_I32_S, F64_SUB, ...f64Const(0.5), F64_SUB, ...set(5)],
    ...[...get(6), ...i32Const(3), I32_SHL, ...set(6)],
    ...[...get(1), ...get(1), I32_ADD], // σ's byte offset: 2 × rho's
    ...[...get(6), ...F64_LOAD(TABLE_AT)],
    ...get(5),
    ...[...get(6), ...F64_LOAD(TABLE_AT + TABLE_BYTES)],
    ...get(5),
    ...[...get(6), ...F64_LOAD(TABLE_AT + 2 * TABLE_BYTES)],
    ...[F64_MUL, F64_ADD, F64_MUL, F64_ADD],
    ...F64_STORE(SIGMA_AT),
    0x05, // else
    ...[...get(2), ...i32Const(1), I32_ADD, ...set(2)],
    0x0b, // end if
    ...[...get(1), ...i32Const(4), I32_ADD, ...set(1)],
    ...[0x0c, 0], // br 0
    ...[0x0b, 0x0b],
    ...get(2),
    0x0b,
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return moduleOf(
    [{ name: 'softplus', params: [I32], results: [I32], body: softplusBody() }],
    PAGES,
  );
}

/** The module's function and its memory's views. */
export interface SoftplusWasm {
  /** σ[i] = softplus(rho[i]) for i < count where |rho[i]| < 16; returns how many were not. */
  softplus(count: number): number;
  readonly rho: Float32Array;
  readonly sigma: Float64Array;
}

function compile(): SoftplusWasm | null {
  const exports = instantiate(moduleBytes());
  if (exports === null) return null;
  const { buffer } = exports.memory as WebAssembly.Memory;
  softplusTable.coefficients.forEach((c, k) => {
    new Float64Array(buffer, TABLE_AT + k * TABLE_BYTES, PIECES).set(c);
  });
  return {
    softplus: exports.softplus as SoftplusWasm['softplus'],
    rho: new Float32Array(buffer, RHO_AT, SOFTPLUS_BLOCK),
    sigma: new Float64Array(buffer, SIGMA_AT, SOFTPLUS_BLOCK),
  };
}

/** The module, compiled once per thread; null where WebAssembly is missing. */
export const softplusWasm = compile();
