import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memory, tensor } from '../tensor.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  type HostTensor,
  loadSafetensors,
  MAX_HEADER_BYTES,
  SafetensorsError,
  saveSafetensors,
} from './safetensors.js';
import { useTestBackend } from './test-backend.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** A file from a header (object or raw text) and data bytes; `length` overrides the length field. */
function file(header: unknown, data: ArrayLike<number> = [], length?: number): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === 'string' ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, length ?? json.length, true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}

const f32 = (values: number[], shape = [values.length]): HostTensor => ({
  dtype: 'float32',
  shape,
  values: Float32Array.from(values),
});

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('safetensors: writing and reading back', () => {
  it('round trips float32 and int32 bitwise (NaN payloads, -0, subnormals), in order, with metadata', () => {
    const odd = new Float32Array(6);
    new Uint32Array(odd.buffer).set([
      0x7fc00001, 0xffc12345, 0x80000000, 0x00000001, 0x7f7fffff, 0,
    ]);
    const tensors: Record<string, HostTensor> = {
      'z.last': f32([1, 2, 3, 4, 5, 6], [2, 3]),
      odd: { dtype: 'float32', shape: [6], values: odd },
      'a.int': { dtype: 'int32', shape: [3], values: Int32Array.of(-(2 ** 31), 2 ** 31 - 1, 0) },
      scalar: f32([7.5], []),
      empty: { dtype: 'float32', shape: [2, 0], values: new Float32Array(0) },
      ['__proto__']: f32([9]),
    };
    const bytes = encodeSafetensors(tensors, { format: 'pt', note: 'ünïcode ✓' });
    const headerBytes = new DataView(bytes.buffer).getUint32(0, true);
    expect(headerBytes % 8).toBe(0);
    const { tensors: back, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
    expect(Object.keys(back)).toEqual(['z.last', 'odd', 'a.int', 'scalar', 'empty', '__proto__']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(bits(back.odd!.values as Float32Array)).toEqual(bits(odd));
    expect(back['a.int']).toEqual(tensors['a.int']);
    expect(back.scalar).toEqual({ dtype: 'float32', shape: [], values: Float32Array.of(7.5) });
    expect(back.empty!.shape).toEqual([2, 0]);
    expect(back['z.last']!.shape).toEqual([2, 3]);
    // Unaligned data (a header of odd length from another writer) reads the same.
    const header = '{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} ';
    expect((8 + header.length) % 4).not.toBe(0);
    const odd8 = file(header, new Uint8Array(Float32Array.of(1.5, -2).buffer));
    expect(decodeSafetensors(odd8.buffer as ArrayBuffer).tensors.t!.values).toEqual(
      Float32Array.of(1.5, -2),
    );
  });

  it('reads a dimension written -0 as 0', () => {
    const bytes = file({ e: { dtype: 'F32', shape: [-0, 3], data_offsets: [-0, 0] } });
    expect(new TextDecoder().decode(bytes)).toContain('"shape":[0,3]'); // JSON.stringify(-0)
    const raw = file('{"e":{"dtype":"F32","shape":[-0,3],"data_offsets":[-0,0]}}');
    expect(Object.is(decodeSafetensors(raw).tensors.e!.shape[0], 0)).toBe(true);
  });

  it('reads from a subarray of a larger buffer (a pooled Node Buffer)', () => {
    const bytes = encodeSafetensors({ w: f32([1, 2, 3]) });
    const pool = new Uint8Array(bytes.length + 13);
    pool.set(bytes, 5);
    expect(decodeSafetensors(pool.subarray(5, 5 + bytes.length)).tensors.w!.values).toEqual(
      Float32Array.of(1, 2, 3),
    );
  });

  it("reads PyTorch's own bytes of every dtype it writes, converted as torch converts", () => {
    const expected = JSON.parse(fixture('dtypes.json').toString()) as Record<
      string,
      { shape: number[]; values: (string | number)[] }
    >;
    const { tensors } = decodeSafetensors(fixture('dtypes.safetensors'));
    expect(Object.keys(tensors)).toEqual(Object.keys(expected));
    const number = (v: string | number) =>
      typeof v === 'number'
        ? v
        : v === 'inf'
          ? Number.POSITIVE_INFINITY
          : v === '-inf'
            ? Number.NEGATIVE_INFINITY
            : Number(v);
    for (const [name, want] of Object.entries(expected)) {
      const got = tensors[name]!;
      expect(got.shape, name).toEqual(want.shape);
      const isInt = typeof want.values[0] === 'number';
      expect(got.dtype, name).toBe(isInt ? 'int32' : 'float32');
      expect(Array.from(got.values), name).toEqual(want.values.map(number));
    }
    expect(Object.is(tensors.f16_special!.values[1], -0)).toBe(true);
    expect(Object.is(tensors.bf16_special!.values[1], -0)).toBe(true);
  });

  it('converts half-precision NaN, subnormals and the largest values exactly', () => {
    const halves = Uint16Array.of(0x7e00, 0x0001, 0x03ff, 0x7bff, 0xfbff, 0x3c00, 0x8000);
    const bytes = file(
      { h: { dtype: 'F16', shape: [7], data_offsets: [0, 14] } },
      new Uint8Array(halves.buffer),
    );
    const v = decodeSafetensors(bytes).tensors.h!.values;
    expect(Number.isNaN(v[0])).toBe(true);
    expect(Array.from(v.subarray(1))).toEqual([2 ** -24, 1023 * 2 ** -24, 65504, -65504, 1, -0]);
  });

  it('writes tensors of a backend, and loads them onto the current one', async () => {
    await useTestBackend();
    const before = memory().numTensors;
    const w = tensor([1, 2, 3, 4], [2, 2]);
    const ids = tensor([3, 0, 7], [3], 'int32');
    const bytes = await saveSafetensors({ w, ids, host: f32([5]) }, { k: 'v' });
    expect(w.isDisposed).toBe(false);
    const loaded = loadSafetensors(bytes);
    expect(Object.keys(loaded)).toEqual(['w', 'ids', 'host']);
    expect(loaded.w!.shape).toEqual([2, 2]);
    expect(await loaded.w!.data()).toEqual(Float32Array.of(1, 2, 3, 4));
    expect(loaded.ids!.dtype).toBe('int32');
    expect(loaded.ids!.valueRange).toEqual([0, 7]);
    expect(await loaded.ids!.data()).toEqual(Int32Array.of(3, 0, 7));
    for (const t of [w, ids, ...Object.values(loaded)]) t.dispose();
    // A tensor with no elements cannot be an illia-ts tensor: an error naming it, nothing leaked.
    const empty = encodeSafetensors({
      ok: f32([1]),
      hollow: { dtype: 'float32', shape: [0], values: new Float32Array(0) },
    });
    expect(() => loadSafetensors(empty)).toThrow(
      /tensor "hollow" has shape \[0\], with no elements/,
    );
    expect(memory().numTensors).toBe(before);
  });

  it('refuses to write what safetensors cannot hold, naming it', () => {
    expect(() => encodeSafetensors({ a: f32([1]) }, { n: 1 as unknown as string })).toThrow(
      /metadata\["n"\] must be a string, got 1/,
    );
    expect(() => encodeSafetensors({ __metadata__: f32([1]) })).toThrow(
      /"__metadata__" cannot name a tensor/,
    );
    expect(() => encodeSafetensors({ '': f32([1]) })).toThrow(/"" cannot name a tensor/);
    expect(() =>
      encodeSafetensors({ w: { dtype: 'float32', shape: [2, 2], values: new Float32Array(3) } }),
    ).toThrow(/"w": shape \[2, 2\] holds 4 values, but values has 3/);
    expect(() =>
      encodeSafetensors({
        w: { dtype: 'int32', shape: [1], values: new Float32Array(1) } as never,
      }),
    ).toThrow(/"w" must be a Tensor or \{ dtype/);
  });
});

describe('safetensors: a truncated or hostile file is a clear error', () => {
  const entry = (dtype: string, shape: unknown, offsets: unknown) => ({
    dtype,
    shape,
    data_offsets: offsets,
  });
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /the file is 0 bytes, shorter than the 8-byte header length/],
    ['7 bytes', new Uint8Array(7), /the file is 7 bytes/],
    ['length past the end', file('{}', [], 100), /the header length says 100 bytes, but only 2/],
    [
      'length over the limit',
      file('{}', [], MAX_HEADER_BYTES + 1),
      /the header length 100000001 is over the 100000000-byte limit/,
    ],
    [
      'a 64-bit length',
      (() => {
        const f = file('{}');
        new DataView(f.buffer).setUint32(4, 1, true);
        return f;
      })(),
      /the header length 4294967298 is over/,
    ],
    ['not an object', file('[1]'), /the header must be a JSON object \(start with "\{"\)/],
    ['zero length', file('', [], 0), /the header must be a JSON object/],
    [
      'invalid UTF-8',
      (() => {
        const f = file('{"?":1}');
        f[10] = 0xff;
        return f;
      })(),
      /the header is not valid UTF-8/,
    ],
    ['bad JSON', file('{"a":'), /the header is not valid JSON/],
    [
      'entry not an object',
      file({ w: 3 }),
      /tensor "w": expected \{ dtype, shape, data_offsets \}/,
    ],
    [
      'unknown dtype',
      file({ w: entry('F17', [1], [0, 4]) }, [0, 0, 0, 0]),
      /"w": unknown dtype "F17"/,
    ],
    [
      'unsupported dtype',
      file({ w: entry('U64', [1], [0, 8]) }, new Uint8Array(8)),
      /"w": dtype U64 is not supported \(illia-ts reads F32, I32, F64, F16, BF16/,
    ],
    [
      'shape not an array',
      file({ w: entry('F32', 4, [0, 4]) }, [0, 0, 0, 0]),
      /shape must be an array/,
    ],
    [
      'negative dimension',
      file({ w: entry('F32', [-1], [0, 4]) }, [0, 0, 0, 0]),
      /"w": shape\[0\] must be an integer >= 0, got -1/,
    ],
    [
      'fractional dimension',
      file({ w: entry('F32', [1.5], [0, 4]) }, [0, 0, 0, 0]),
      /shape\[0\] must be an integer >= 0, got 1.5/,
    ],
    [
      'a shape the file cannot back',
      file({ w: entry('F32', [1e6, 1e6, 1e6], [0, 4]) }, [0, 0, 0, 0]),
      /"w": F32 of shape \[1000000,1000000,1000000\] is 4000000000000000000 bytes, but data_offsets \[0, 4\] cover 4/,
    ],
    [
      'offsets not a pair',
      file({ w: entry('F32', [1], [0]) }, [0, 0, 0, 0]),
      /data_offsets must be \[begin, end\], integers >= 0, got \[0\]/,
    ],
    [
      'offsets beyond 2^53',
      file(
        '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}',
        [0, 0, 0, 0],
      ),
      /data_offsets must be \[begin, end\]/,
    ],
    [
      'offsets backwards',
      file({ w: entry('F32', [0], [4, 0]) }, [0, 0, 0, 0]),
      /data_offsets \[4, 0\] end before they begin/,
    ],
    [
      'offsets past the data (truncated)',
      file({ w: entry('F32', [2], [0, 8]) }, [0, 0, 0, 0]),
      /data_offsets \[0, 8\] run past the end of the data \(4 bytes\): the file is truncated/,
    ],
    [
      'size not the shape',
      file({ w: entry('F32', [2], [0, 4]) }, [0, 0, 0, 0, 0, 0, 0, 0]),
      /"w": F32 of shape \[2\] is 8 bytes, but data_offsets \[0, 4\] cover 4/,
    ],
    [
      'overlap',
      file({ a: entry('F32', [2], [0, 8]), b: entry('F32', [1], [4, 8]) }, new Uint8Array(8)),
      /tensor "b": data_offsets \[4, 8\] overlap another tensor's/,
    ],
    [
      'a hole',
      file({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, new Uint8Array(12)),
      /the data has a hole: bytes 4 to 8 belong to no tensor \(before "b"\)/,
    ],
    [
      'trailing bytes',
      file({ a: entry('F32', [1], [0, 4]) }, new Uint8Array(5)),
      /the data is 5 bytes, but the tensors cover 4/,
    ],
    [
      'a duplicate name (the first one lost)',
      file(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
        new Uint8Array(8),
      ),
      /the data has a hole: bytes 0 to 4/,
    ],
    [
      'metadata not an object',
      file({ __metadata__: [1] }),
      /__metadata__ must be an object of strings/,
    ],
    [
      'metadata not strings',
      file({ __metadata__: { a: 1 } }),
      /__metadata__\["a"\] must be a string, got 1/,
    ],
    ['an empty name', file({ '': entry('F32', [0], [0, 0]) }), /a tensor has an empty name/],
    [
      'I64 out of int32',
      file({ n: entry('I64', [1], [0, 8]) }, [0, 0, 0, 0x80, 0, 0, 0, 0]),
      /tensor "n": I64 element 0 does not fit in int32/,
    ],
    [
      'U32 out of int32',
      file({ n: entry('U32', [1], [0, 4]) }, [0, 0, 0, 0x80]),
      /tensor "n": U32 element 0 \(2147483648\) does not fit in int32/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    it(name, () => {
      let error: unknown;
      try {
        decodeSafetensors(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SafetensorsError);
      expect((error as Error).message).toMatch(/^safetensors: /);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('refuses what is not bytes', () => {
    expect(() => decodeSafetensors('abc' as never)).toThrow(
      /bytes must be a Uint8Array or an ArrayBuffer, got "abc"/,
    );
  });
});

describe('safetensors: fixtures are what the Python script wrote', () => {
  it('the illia model file is a plain F32 safetensors with format pt', () => {
    const { tensors, metadata } = decodeSafetensors(fixture('illia-mlp.safetensors'));
    expect(metadata).toEqual({ format: 'pt' });
    expect(Object.values(tensors).every((t) => t.dtype === 'float32')).toBe(true);
  });
});
