import type { ConvWorkload, Device, Session, Subject } from './types.js';
import { convStepFlops, Unavailable } from './types.js';

/**
 * The WebAssembly SIMD ceilings of the conv2d page: the peak multiply-add rate of one thread,
 * measured here by a loop that does nothing else. Each of {@link CHAINS} independent accumulators
 * runs `a = a·m + c` (a SIMD multiply then a SIMD add, never a fused multiply-add: what the cpu
 * backend's kernels do, so the bits are the same with or without SIMD), enough chains in flight
 * to hide the latency of both, with no memory traffic at all. A convolution moves data, so no
 * kernel reaches it: it is the roof, not a rival.
 *
 * `ceiling:wasm-f32x4` is four float32 lanes (the float32 peak); `ceiling:wasm-f64x2` two float64
 * lanes (the peak of kernels that accumulate in float64, as the cpu backend's matrix product
 * does). A conv2d "step" here is the loop run for as many FLOPs as the shape's forward and
 * backward pass, so the row's GFLOP/s is the peak, timed by the same rules as every other row.
 */
export type Lanes = 'f32x4' | 'f64x2';

/**
 * Independent accumulators: enough to keep two multiply and two add pipes busy for a latency of
 * about 3 cycles each, and, with the two constants, within the 16 vector registers of x86-64.
 */
export const CHAINS = 12;

const LANES: Readonly<
  Record<
    Lanes,
    { count: number; scalar: number; mul: number; add: number; extract: number; addScalar: number }
  >
> = {
  // Opcodes after the 0xfd SIMD prefix; scalar types and adds of the core instruction set.
  f32x4: { count: 4, scalar: 0x7d, mul: 0xe6, add: 0xe4, extract: 0x1f, addScalar: 0x92 },
  f64x2: { count: 2, scalar: 0x7c, mul: 0xf2, add: 0xf0, extract: 0x21, addScalar: 0xa0 },
};

/** FLOPs of one iteration of the loop: a multiply and an add per lane of every chain. */
export function flopsPerIteration(lanes: Lanes): number {
  return CHAINS * LANES[lanes].count * 2;
}

const leb = (value: number): number[] => {
  const out: number[] = [];
  let n = value;
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? byte : byte | 0x80);
  } while (n !== 0);
  return out;
};
const vector = (items: readonly number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, bytes: readonly number[]): number[] => [
  id,
  ...leb(bytes.length),
  ...bytes,
];
const simd = (op: number, ...rest: number[]) => [0xfd, ...leb(op), ...rest];
const get = (i: number) => [0x20, ...leb(i)];
const set = (i: number) => [0x21, ...leb(i)];

/** `v128.const` of `value` in every lane. */
function splat(lanes: Lanes, value: number): number[] {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < LANES[lanes].count; i++) {
    if (lanes === 'f32x4') view.setFloat32(4 * i, value, true);
    else view.setFloat64(8 * i, value, true);
  }
  return simd(0x0c, ...bytes);
}

/**
 * The module: `run(iterations: i32)` runs the loop and returns the sum of every lane of every
 * accumulator (so nothing can be dropped as dead), as f32 or f64.
 */
export function peakModule(lanes: Lanes): Uint8Array<ArrayBuffer> {
  const l = LANES[lanes];
  const acc = (k: number) => 1 + k;
  const m = 1 + CHAINS;
  const c = 2 + CHAINS;
  const body: number[] = [...splat(lanes, 0.999), ...set(m), ...splat(lanes, 0.001), ...set(c)];
  for (let k = 0; k < CHAINS; k++) body.push(...splat(lanes, k / CHAINS), ...set(acc(k)));
  body.push(0x02, 0x40, 0x03, 0x40); // block, loop
  body.push(...get(0), 0x45, 0x0d, 1); // i32.eqz of the count: br_if out of the block
  for (let k = 0; k < CHAINS; k++) {
    body.push(...get(acc(k)), ...get(m), ...simd(l.mul), ...get(c), ...simd(l.add), ...set(acc(k)));
  }
  body.push(...get(0), 0x41, 1, 0x6b, ...set(0)); // count − 1
  body.push(0x0c, 0, 0x0b, 0x0b); // br to the loop; end loop; end block
  body.push(...get(acc(0)));
  for (let k = 1; k < CHAINS; k++) body.push(...get(acc(k)), ...simd(l.add));
  body.push(...set(acc(0)), ...get(acc(0)), ...simd(l.extract, 0));
  for (let i = 1; i < l.count; i++) body.push(...get(acc(0)), ...simd(l.extract, i), l.addScalar);
  body.push(0x0b);
  const locals = vector([[...leb(CHAINS + 2), 0x7b]]);
  const code = [...locals, ...body];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, ...vector([[0x7f]]), ...vector([[l.scalar]])]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...vector([...'run'].map((ch) => [ch.charCodeAt(0)])), 0x00, 0]])),
    ...section(10, vector([[...leb(code.length), ...code]])),
  ]);
}

/** What `run(iterations)` returns, computed the same way in JavaScript (for the self-check). */
export function expectedSum(lanes: Lanes, iterations: number): number {
  const round = lanes === 'f32x4' ? Math.fround : (v: number) => v;
  const m = round(0.999);
  const c = round(0.001);
  const finals: number[] = [];
  for (let k = 0; k < CHAINS; k++) {
    let a = round(k / CHAINS);
    for (let i = 0; i < iterations; i++) a = round(round(a * m) + c);
    finals.push(a);
  }
  let vectorSum = finals[0] as number;
  for (let k = 1; k < CHAINS; k++) vectorSum = round(vectorSum + (finals[k] as number));
  let total = vectorSum;
  for (let i = 1; i < LANES[lanes].count; i++) total = round(total + vectorSum);
  return total;
}

/** Keeps the loop's result reachable. Exported only for that reason. */
export let sink = 0;

/** The ceiling `ceiling:wasm-<lanes>`: the peak of one thread, for the conv2d page only. */
export function wasmPeakCeiling(lanes: Lanes): Subject {
  return {
    id: `ceiling:wasm-${lanes}`,
    role: 'ceiling',
    ops: ['conv2d'],
    async open(device: Device): Promise<Session> {
      if (device !== 'cpu') throw new Unavailable('WebAssembly runs on the CPU only');
      let run: (iterations: number) => number;
      try {
        const instance = new WebAssembly.Instance(new WebAssembly.Module(peakModule(lanes)));
        run = instance.exports.run as (iterations: number) => number;
      } catch (error) {
        throw new Unavailable(
          `WebAssembly SIMD is not available here: ${(error as Error).message.split('\n')[0]}`,
        );
      }
      // The loop must do the arithmetic it is credited with: its result, bit for bit.
      for (const iterations of [0, 1, 37]) {
        const got = run(iterations);
        const want = expectedSum(lanes, iterations);
        if (got !== want) {
          throw new Error(
            `ceiling:wasm-${lanes}: the loop returned ${got} after ${iterations} iterations, expected ${want}`,
          );
        }
      }
      const perIteration = flopsPerIteration(lanes);
      return {
        engine: `WebAssembly SIMD ${lanes} mul+add loop, ${CHAINS} chains, 1 thread (V8 ${process.versions.v8})`,
        workload: () => Promise.reject(new Unavailable('only conv2d')),
        async convWorkload(shape): Promise<ConvWorkload> {
          const iterations = Math.max(1, Math.round(convStepFlops(shape) / perIteration));
          return {
            async step() {
              sink = run(iterations);
            },
            liveTensors: () => null,
            dispose() {},
          };
        },
        close() {},
      };
    },
  };
}
