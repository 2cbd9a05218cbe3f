/**
 * The protobuf wire format, write side only: just what ONNX models need (varints, fixed32/64,
 * length-delimited fields, packed repeated scalars). Field order is the caller's; protobuf
 * parsers accept any order.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

/** Appends protobuf fields to a growing byte buffer. */
export class ProtoWriter {
  #bytes = new Uint8Array(256);
  #length = 0;

  /** The bytes written so far (a view, valid until the next write). */
  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    let capacity = this.#bytes.length * 2;
    while (capacity < this.#length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  #byte(b: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = b;
  }

  /**
   * A raw varint. `value` is an integer that fits in int64: negative values are written as
   * their 64-bit two's complement (10 bytes), as protobuf does for int32/int64 fields.
   */
  #varint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value <= 0xffffffff) {
      let v = value;
      while (v > 0x7f) {
        this.#byte((v & 0x7f) | 0x80);
        v = Math.floor(v / 128);
      }
      this.#byte(v);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.#byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#byte(Number(v));
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  /** An int32, int64, uint32, uint64, bool or enum field. */
  int(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`protobuf field ${field}: value must be a safe integer, got ${value}`);
    }
    this.#tag(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  /** A float field (fixed32, little-endian IEEE 754 single). */
  float(field: number, value: number): this {
    this.#tag(field, WIRE_FIXED32);
    this.#reserve(4);
    new DataView(this.#bytes.buffer).setFloat32(this.#length, value, true);
    this.#length += 4;
    return this;
  }

  /** A double field (fixed64, little-endian IEEE 754 double). */
  double(field: number, value: number): this {
    this.#tag(field, WIRE_FIXED64);
    this.#reserve(8);
    new DataView(this.#bytes.buffer).setFloat64(this.#length, value, true);
    this.#length += 8;
    return this;
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WIRE_LENGTH);
    this.#varint(value.length);
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /** A string field, UTF-8 encoded. */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** An embedded message field, written by `body` into a writer of its own. */
  message(field: number, body: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    body(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated int32/int64 field (nothing is written when `values` is empty). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const v of values) inner.#varint(v);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field (nothing is written when `values` is empty). */
  packedFloats(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const packed = new Uint8Array(values.length * 4);
    const view = new DataView(packed.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
    return this.bytes(field, packed);
  }
}
