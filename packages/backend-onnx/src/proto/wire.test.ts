import { describe, expect, it } from 'vitest';
import { ProtoWriter } from './wire.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// Expected bytes are the worked examples of the protobuf encoding guide
// (protobuf.dev/programming-guides/encoding) and hand-encodings of the same rules.
describe('ProtoWriter', () => {
  it('writes varints (150 → 96 01)', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().int(1, 0).finish())).toBe('0800');
    expect(hex(new ProtoWriter().int(1, 2 ** 32).finish())).toBe('088080808010');
  });

  it('writes negative int64 as ten-byte two’s complement', () => {
    expect(hex(new ProtoWriter().int(1, -1).finish())).toBe('08ffffffffffffffffff01');
  });

  it('rejects integers it cannot write exactly, naming the field', () => {
    expect(() => new ProtoWriter().int(3, 2 ** 60)).toThrow(
      /field 3: value must be a safe integer, got/,
    );
    expect(() => new ProtoWriter().int(3, 1.5)).toThrow(RangeError);
  });

  it('writes strings and nested messages length-delimited', () => {
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().message(3, (m) => m.int(1, 150)).finish())).toBe('1a03089601');
  });

  it('writes packed repeated varints and floats', () => {
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().packedFloats(4, [1.5]).finish())).toBe('22040000c03f');
    expect(hex(new ProtoWriter().packedInts(4, []).finish())).toBe('');
  });

  it('writes fixed32 floats and fixed64 doubles little-endian', () => {
    expect(hex(new ProtoWriter().float(2, 1.5).finish())).toBe('150000c03f');
    expect(hex(new ProtoWriter().double(2, 1.5).finish())).toBe('11000000000000f83f');
  });

  it('grows past its initial buffer', () => {
    const long = 'x'.repeat(1000);
    const bytes = new ProtoWriter().string(1, long).int(2, 7).finish();
    expect(bytes.length).toBe(1 + 2 + 1000 + 2);
    expect(hex(bytes.subarray(0, 3))).toBe('0ae807');
    expect(hex(bytes.subarray(-2))).toBe('1007');
  });
});
