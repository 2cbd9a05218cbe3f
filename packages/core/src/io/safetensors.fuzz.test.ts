/**
 * The safetensors reader against random bytes and mutations of valid files: every input must
 * decode or throw a SafetensorsError (never another error, a crash or a hang), and no input may
 * make it allocate more than twice its own length (F16/BF16 widen to float32) in typed arrays.
 * ILLIA_FUZZ_ITERATIONS=1000000 runs longer; ILLIA_FUZZ_SEED another stream.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  type HostTensor,
  SafetensorsError,
} from './safetensors.js';

const ITERATIONS = Number(process.env.ILLIA_FUZZ_ITERATIONS ?? 20_000);
const SEED = Number(process.env.ILLIA_FUZZ_SEED ?? 20240611);

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

const DTYPES = [
  'F32',
  'I32',
  'F64',
  'F16',
  'BF16',
  'I64',
  'U32',
  'I16',
  'U16',
  'I8',
  'U8',
  'BOOL',
  'U64',
  'F8_E4M3',
  'X',
  '',
  'f32',
];
const NUMBERS = [
  0,
  1,
  -1,
  2,
  3,
  4,
  7,
  8,
  255,
  256,
  65535,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  1e21,
  1e300,
  0.5,
  -0,
  100_000_000,
  100_000_001,
];

function validFile(random: Random): Uint8Array {
  const tensors: Record<string, HostTensor> = {};
  const count = 1 + random.int(5);
  for (let i = 0; i < count; i++) {
    const shape = Array.from({ length: random.int(4) }, () => random.int(5));
    const size = shape.reduce((p, q) => p * q, 1);
    const int = random.next() < 0.3;
    const values = int ? new Int32Array(size) : new Float32Array(size);
    for (let j = 0; j < size; j++)
      values[j] = int ? random.int(2000) - 1000 : random.next() * 10 - 5;
    tensors[`${i}.w${random.int(100)}`] = {
      dtype: int ? 'int32' : 'float32',
      shape,
      values,
    } as HostTensor;
  }
  return encodeSafetensors(tensors, random.next() < 0.5 ? { format: 'pt' } : {});
}

/** Rewrites a header's text and fixes the length field, so the deeper checks are reached. */
function mutateHeader(bytes: Uint8Array, random: Random): Uint8Array {
  if (bytes.length < 8) return bytes;
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  if (8 + length > bytes.length) return bytes;
  let text = new TextDecoder().decode(bytes.subarray(8, 8 + length));
  const data = bytes.subarray(8 + length);
  const kind = random.int(6);
  if (kind === 0) {
    // A number replaced by an interesting one.
    const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/g)];
    const m = numbers.length ? random.pick(numbers) : null;
    if (m?.index !== undefined) {
      const value = random.next() < 0.5 ? random.pick(NUMBERS) : data.length + random.int(9) - 4;
      text = text.slice(0, m.index) + String(value) + text.slice(m.index + m[0].length);
    }
  } else if (kind === 1) {
    text = text.replace(/"[A-Z0-9_]+"/, `"${random.pick(DTYPES)}"`);
  } else if (kind === 2) {
    const at = random.int(text.length);
    text = text.slice(0, at) + text.slice(at + 1 + random.int(8));
  } else if (kind === 3) {
    const at = random.int(text.length);
    const garbage = random.pick([
      '[',
      ']',
      '{',
      '}',
      ',',
      ':',
      '"',
      '-',
      'null',
      '[[[[[[[[',
      '1e999',
      '"__proto__"',
      '\\u0000',
    ]);
    text = text.slice(0, at) + garbage + text.slice(at);
  } else if (kind === 4) {
    text = text.replace(
      /"shape":\[[^\]]*\]/,
      `"shape":[${Array.from({ length: random.int(6) }, () => random.pick(NUMBERS)).join(',')}]`,
    );
  } else {
    text = text.replace(
      /"data_offsets":\[[^\]]*\]/,
      `"data_offsets":[${random.pick(NUMBERS)},${random.pick(NUMBERS)}]`,
    );
  }
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function mutate(base: Uint8Array, random: Random): Uint8Array {
  let bytes: Uint8Array = base.slice();
  const rounds = 1 + random.int(3);
  for (let r = 0; r < rounds; r++) {
    const kind = random.int(7);
    if (kind === 0 && bytes.length > 0) {
      for (let i = 0, n = 1 + random.int(8); i < n; i++) {
        const at = random.int(bytes.length);
        bytes[at] = (bytes[at] as number) ^ (1 << random.int(8));
      }
    } else if (kind === 1 && bytes.length > 0) {
      const at = random.int(bytes.length);
      bytes[at] = random.pick([0, 0xff, 0x7f, 0x80, 0x7b, 0x22, 0x5b, 0x30, 0x39, random.int(256)]);
    } else if (kind === 2) {
      bytes = bytes.slice(0, random.int(bytes.length + 1));
    } else if (kind === 3) {
      const extra = Uint8Array.from({ length: 1 + random.int(64) }, () => random.int(256));
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      bytes = out;
    } else if (kind === 4 && bytes.length >= 8) {
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      const length = view.getUint32(0, true);
      view.setUint32(
        0,
        random.pick([
          length + 1,
          length - 1,
          0,
          2 ** 32 - 1,
          random.int(2 ** 32),
          bytes.length - 8,
          100_000_001,
        ]) >>> 0,
        true,
      );
      if (random.next() < 0.2) view.setUint32(4, random.int(2 ** 32), true);
    } else {
      bytes = mutateHeader(bytes, random);
    }
  }
  return bytes;
}

function randomBytes(random: Random): Uint8Array {
  const bytes = Uint8Array.from({ length: random.int(512) }, () => random.int(256));
  if (bytes.length >= 9 && random.next() < 0.5) {
    // A plausible start: a length that fits, then "{".
    new DataView(bytes.buffer).setUint32(0, random.int(bytes.length - 7), true);
    new DataView(bytes.buffer).setUint32(4, 0, true);
    bytes[8] = 0x7b;
  }
  return bytes;
}

/** Records the typed-array and ArrayBuffer allocations made while `fn` runs. */
function measuringAllocations<T>(
  fn: (measure: <R>(run: () => R) => { result: R; bytes: number; largest: number }) => T,
): T {
  const names = [
    'ArrayBuffer',
    'Uint8Array',
    'Uint16Array',
    'Uint32Array',
    'Int32Array',
    'Float32Array',
    'Float64Array',
  ] as const;
  const global = globalThis as unknown as Record<string, unknown>;
  const originals = names.map((name) => [name, global[name]] as const);
  const slice = ArrayBuffer.prototype.slice;
  let total = 0;
  let largest = 0;
  const record = (bytes: number) => {
    total += bytes;
    largest = Math.max(largest, bytes);
  };
  for (const [name, original] of originals) {
    const typedArray = original as {
      new (...args: unknown[]): object;
      BYTES_PER_ELEMENT?: number;
    };
    global[name] = new Proxy(typedArray, {
      construct(target, args) {
        if (typeof args[0] === 'number') record(args[0] * (target.BYTES_PER_ELEMENT ?? 1));
        else if (
          Array.isArray(args[0]) ||
          (ArrayBuffer.isView(args[0]) && !(args[0] instanceof DataView))
        ) {
          record((args[0] as ArrayLike<number>).length * (target.BYTES_PER_ELEMENT ?? 1));
        }
        return Reflect.construct(target, args);
      },
    });
  }
  ArrayBuffer.prototype.slice = function (this: ArrayBuffer, begin?: number, end?: number) {
    const out = slice.call(this, begin, end);
    record(out.byteLength);
    return out;
  };
  try {
    return fn((run) => {
      total = 0;
      largest = 0;
      const result = run();
      return { result, bytes: total, largest };
    });
  } finally {
    for (const [name, original] of originals) global[name] = original;
    ArrayBuffer.prototype.slice = slice;
  }
}

describe('safetensors reader, fuzzed', () => {
  it(`${ITERATIONS} random and mutated files: a result or a SafetensorsError, no hang, no allocation over 2x the file`, () => {
    const random = generator(SEED);
    const fixtures = ['illia-mlp.safetensors', 'dtypes.safetensors'].map(
      (name) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url))),
    );
    const stats = {
      decoded: 0,
      refused: 0,
      slowestMs: 0,
      largestRatio: 0,
      largestBytes: 0,
      inputBytes: 0,
    };
    const messages = new Map<string, number>();
    const started = performance.now();
    measuringAllocations((measure) => {
      for (let i = 0; i < ITERATIONS; i++) {
        const choice = random.next();
        const input =
          choice < 0.15
            ? randomBytes(random)
            : mutate(choice < 0.35 ? random.pick(fixtures) : validFile(random), random);
        stats.inputBytes += input.length;
        const t0 = performance.now();
        let outcome: { result: unknown; bytes: number; largest: number };
        try {
          outcome = measure(() => {
            try {
              return decodeSafetensors(input);
            } catch (error) {
              return error;
            }
          });
        } finally {
          stats.slowestMs = Math.max(stats.slowestMs, performance.now() - t0);
        }
        const { result, bytes } = outcome;
        if (result instanceof Error) {
          if (!(result instanceof SafetensorsError)) {
            throw new Error(
              `input ${i} (seed ${SEED}) threw ${result.name}: ${result.message}\n${Buffer.from(input).toString('hex')}`,
            );
          }
          stats.refused++;
          const kind = result.message.replace(/"[^"]*"|\d+|\[[^\]]*\]/g, '…').slice(0, 70);
          messages.set(kind, (messages.get(kind) ?? 0) + 1);
        } else {
          stats.decoded++;
          const { tensors } = result as ReturnType<typeof decodeSafetensors>;
          for (const t of Object.values(tensors)) {
            expect(t.values.length).toBe(t.shape.reduce((p, q) => p * q, 1));
          }
        }
        if (bytes > 2 * input.length) {
          throw new Error(
            `input ${i} (seed ${SEED}) made the reader allocate ${bytes} bytes from a ${input.length}-byte file`,
          );
        }
        stats.largestBytes = Math.max(stats.largestBytes, bytes);
        if (input.length > 0)
          stats.largestRatio = Math.max(stats.largestRatio, bytes / input.length);
      }
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `safetensors fuzz: ${ITERATIONS} inputs (seed ${SEED}, ${(stats.inputBytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s: ${stats.decoded} decoded, ${stats.refused} refused with a SafetensorsError (${messages.size} kinds), slowest ${stats.slowestMs.toFixed(2)} ms, largest allocation ${stats.largestBytes} bytes, at most ${stats.largestRatio.toFixed(2)}x the input`,
    );
    expect(stats.decoded).toBeGreaterThan(ITERATIONS / 50);
    expect(stats.refused).toBeGreaterThan(ITERATIONS / 2);
    expect(stats.slowestMs).toBeLessThan(1000);
  }, 600_000);

  it('a header claiming a 4 GB tensor in a 100-byte file allocates nothing for it', () => {
    const header = JSON.stringify({
      w: { dtype: 'F32', shape: [2 ** 30], data_offsets: [0, 2 ** 32] },
    });
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setUint32(0, header.length, true);
    bytes.set(new TextEncoder().encode(header), 8);
    measuringAllocations((measure) => {
      const { result, bytes: allocated } = measure(() => {
        try {
          return decodeSafetensors(bytes);
        } catch (error) {
          return error;
        }
      });
      expect(result).toBeInstanceOf(SafetensorsError);
      expect((result as Error).message).toMatch(/run past the end of the data/);
      expect(allocated).toBeLessThan(bytes.length);
    });
  });
});
