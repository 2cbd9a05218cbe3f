/**
 * safetensors, the tensor file format of Hugging Face, PyTorch users and the Rust and JS runtimes:
 * an 8-byte little-endian header length `N`, `N` bytes of JSON (`{ name: { dtype, shape,
 * data_offsets: [begin, end] }, __metadata__?: { string: string } }`), then the data, every
 * tensor row-major and little-endian at `data_offsets` relative to the end of the header.
 *
 * Our own small reader and writer. The reader trusts nothing: the header's length, JSON, dtypes,
 * shapes and offsets are checked against the file before anything is allocated, so a truncated
 * or hostile file is a {@link SafetensorsError} naming what is wrong, never a crash or an
 * allocation the file's own size does not justify (each tensor's array is at most twice the bytes
 * it covers, for F16 and BF16 widened to float32).
 */
import type { DType, TensorValues } from '../backend.js';
import { getBackend } from '../engine.js';
import { formatShape } from '../shape.js';
import { type AnyTensor, Tensor } from '../tensor.js';
import { describe } from '../validate.js';

/** A tensor's values on the host: what a file holds, before any backend is involved. */
export interface HostTensor<D extends DType = DType> {
  readonly dtype: D;
  /** Dimensions, outermost first (`[]` for a scalar). */
  readonly shape: readonly number[];
  /** Row-major values; `values.length` is the product of `shape`. */
  readonly values: D extends 'int32' ? Int32Array : Float32Array;
}

/** What {@link decodeSafetensors} returns: the tensors by name, in file order, and the metadata. */
export interface DecodedSafetensors {
  readonly tensors: Record<string, HostTensor>;
  /** The header's `__metadata__` (string to string), `{}` when there is none. */
  readonly metadata: Record<string, string>;
}

/** A file that is not valid safetensors, or a dict that cannot be written as one. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** The largest header the reader accepts, as the reference (Rust) implementation: 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype the format names; those we read are in {@link READERS}. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const fail = (message: string): never => {
  throw new SafetensorsError(`safetensors: ${message}`);
};

/** `value` as a string for a message, cut short. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? describe(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** An exact half-precision value. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

type Reader = (view: DataView, begin: number, count: number, key: string) => TensorValues;

/** How each readable dtype becomes float32 or int32 values (DataView reads: any alignment). */
const READERS: Readonly<Record<string, Reader>> = {
  F32: (view, begin, count) => {
    if (LITTLE_ENDIAN) {
      const start = view.byteOffset + begin;
      return new Float32Array(view.buffer.slice(start, start + 4 * count));
    }
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(begin + 4 * i, true);
    return out;
  },
  I32: (view, begin, count) => {
    if (LITTLE_ENDIAN) {
      const start = view.byteOffset + begin;
      return new Int32Array(view.buffer.slice(start, start + 4 * count));
    }
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getInt32(begin + 4 * i, true);
    return out;
  },
  F64: (view, begin, count) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(begin + 8 * i, true);
    return out;
  },
  F16: (view, begin, count) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = half(view.getUint16(begin + 2 * i, true));
    return out;
  },
  BF16: (view, begin, count) => {
    // bfloat16 is the top half of a float32: widen the bits, exactly (NaN payloads included).
    const out = new Float32Array(count);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(begin + 2 * i, true) << 16;
    return out;
  },
  I64: (view, begin, count, key) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const low = view.getUint32(begin + 8 * i, true);
      const high = view.getInt32(begin + 8 * i + 4, true);
      if (!((high === 0 && low < 2 ** 31) || (high === -1 && low >= 2 ** 31))) {
        fail(
          `tensor ${show(key)}: I64 element ${i} does not fit in int32 (illia-ts tensors are float32 or int32)`,
        );
      }
      out[i] = low | 0;
    }
    return out;
  },
  U32: (view, begin, count, key) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const v = view.getUint32(begin + 4 * i, true);
      if (v >= 2 ** 31) fail(`tensor ${show(key)}: U32 element ${i} (${v}) does not fit in int32`);
      out[i] = v;
    }
    return out;
  },
  I16: (view, begin, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getInt16(begin + 2 * i, true);
    return out;
  },
  U16: (view, begin, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint16(begin + 2 * i, true);
    return out;
  },
  I8: (view, begin, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getInt8(begin + i);
    return out;
  },
  U8: (view, begin, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint8(begin + i);
    return out;
  },
  BOOL: (view, begin, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint8(begin + i) === 0 ? 0 : 1;
    return out;
  },
};

/** Sets `record[key] = value` as an own property, whatever the key (`__proto__` included). */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

interface Entry {
  readonly key: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/** One header entry, checked against the data's length (`dataBytes`). */
function checkEntry(key: string, info: unknown, dataBytes: number): Entry {
  const where = `tensor ${show(key)}`;
  if (key.length === 0) fail('a tensor has an empty name');
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    return fail(`${where}: expected { dtype, shape, data_offsets }, got ${show(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    return fail(`${where}: unknown dtype ${show(dtype)}`);
  }
  if (!Object.hasOwn(READERS, dtype)) {
    fail(
      `${where}: dtype ${dtype} is not supported (illia-ts reads ${Object.keys(READERS).join(', ')})`,
    );
  }
  if (!Array.isArray(shape)) return fail(`${where}: shape must be an array, got ${show(shape)}`);
  shape.forEach((dim: unknown, i) => {
    if (!(typeof dim === 'number' && Number.isSafeInteger(dim) && dim >= 0)) {
      fail(`${where}: shape[${i}] must be an integer >= 0, got ${show(dim)}`);
    }
  });
  if (
    !(
      Array.isArray(offsets) &&
      offsets.length === 2 &&
      offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    )
  ) {
    return fail(`${where}: data_offsets must be [begin, end], integers >= 0, got ${show(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataBytes) {
    fail(
      `${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes): the file is truncated or corrupt`,
    );
  }
  // A double: huge shapes give huge (or infinite) numbers here, never an allocation.
  const bytes = (shape as number[]).reduce((n, dim) => n * dim, DTYPE_BYTES[dtype] as number);
  if (end - begin !== bytes) {
    fail(
      `${where}: ${dtype} of shape ${show(shape)} is ${bytes} bytes, but data_offsets [${begin}, ${end}] cover ${end - begin}`,
    );
  }
  // (-0 is a valid JSON dimension: written back as 0.)
  return { key, dtype, shape: (shape as number[]).map((d) => d + 0), begin: begin + 0, end };
}

/** The header's metadata: an object of strings. */
function checkMetadata(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(`__metadata__ must be an object of strings, got ${show(value)}`);
  }
  const metadata: Record<string, string> = {};
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string')
      fail(`__metadata__[${show(key)}] must be a string, got ${show(text)}`);
    setOwn(metadata, key, text as string);
  }
  return metadata;
}

/**
 * Reads a safetensors file: its tensors as host values (F32 and I32 as they are; F64, F16 and BF16
 * converted to float32; I64, U32, I16, U16, I8, U8 and BOOL to int32, an error where a value does
 * not fit) and its metadata. Every check is made before the data is touched: a header that runs
 * past the file, is not a UTF-8 JSON object, names an unknown dtype, gives a shape whose size does
 * not match its offsets, or leaves overlapping ranges or holes in the data, is a
 * {@link SafetensorsError} naming the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer): DecodedSafetensors {
  const data =
    bytes instanceof ArrayBuffer
      ? new Uint8Array(bytes)
      : bytes instanceof Uint8Array
        ? bytes
        : fail(`bytes must be a Uint8Array or an ArrayBuffer, got ${describe(bytes)}`);
  if (data.length < 8) {
    fail(
      `the file is ${data.length} bytes, shorter than the 8-byte header length: it is truncated`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const available = data.length - 8;
  if (high !== 0 || low > MAX_HEADER_BYTES) {
    fail(
      `the header length ${high * 2 ** 32 + low} is over the ${MAX_HEADER_BYTES}-byte limit: not a safetensors file, or a corrupt one`,
    );
  }
  const headerBytes = low;
  if (headerBytes > available) {
    fail(
      `the header length says ${headerBytes} bytes, but only ${available} follow it: the file is truncated or not safetensors`,
    );
  }
  if (headerBytes < 2 || data[8] !== 0x7b) {
    fail('the header must be a JSON object (start with "{"): not a safetensors file');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(8, 8 + headerBytes));
  } catch {
    return fail('the header is not valid UTF-8: the file is corrupt');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fail(`the header is not valid JSON (${(error as Error).message}): the file is corrupt`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail('the header must be a JSON object');
  }
  const dataStart = 8 + headerBytes;
  const dataBytes = data.length - dataStart;
  const entries: Entry[] = [];
  let metadata: Record<string, string> = {};
  for (const [key, info] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') metadata = checkMetadata(info);
    else entries.push(checkEntry(key, info, dataBytes));
  }
  // The data must be covered exactly: ranges in order, no overlap, no hole, nothing after.
  const byStart = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const entry of byStart) {
    if (entry.begin !== covered) {
      fail(
        entry.begin < covered
          ? `tensor ${show(entry.key)}: data_offsets [${entry.begin}, ${entry.end}] overlap another tensor's`
          : `the data has a hole: bytes ${covered} to ${entry.begin} belong to no tensor (before ${show(entry.key)})`,
      );
    }
    covered = entry.end;
  }
  if (covered !== dataBytes) {
    fail(
      `the data is ${dataBytes} bytes, but the tensors cover ${covered}: the file has trailing bytes or is corrupt`,
    );
  }
  const dataView = new DataView(data.buffer, data.byteOffset + dataStart, dataBytes);
  const tensors: Record<string, HostTensor> = {};
  for (const entry of entries) {
    const count = (entry.end - entry.begin) / (DTYPE_BYTES[entry.dtype] as number);
    const values = (READERS[entry.dtype] as Reader)(dataView, entry.begin, count, entry.key);
    setOwn(tensors, entry.key, {
      dtype: values instanceof Int32Array ? 'int32' : 'float32',
      shape: Object.freeze([...entry.shape]),
      values,
    } as HostTensor);
  }
  return { tensors, metadata };
}

function isHostTensor(value: unknown): value is HostTensor {
  if (value === null || typeof value !== 'object') return false;
  const { dtype, shape, values } = value as Record<string, unknown>;
  return (
    Array.isArray(shape) &&
    ((dtype === 'float32' && values instanceof Float32Array) ||
      (dtype === 'int32' && values instanceof Int32Array))
  );
}

/** A dict entry as a checked host tensor (`where` names the caller). */
export function checkHostTensor(where: string, key: string, value: unknown): HostTensor {
  if (!isHostTensor(value)) {
    throw new TypeError(
      `${where}: ${show(key)} must be a Tensor or { dtype: 'float32' | 'int32', shape, values } with matching typed array, got ${describe(value)}`,
    );
  }
  value.shape.forEach((dim, i) => {
    if (!(typeof dim === 'number' && Number.isSafeInteger(dim) && dim >= 0)) {
      throw new RangeError(
        `${where}: ${show(key)}: shape[${i}] must be an integer >= 0, got ${describe(dim)}`,
      );
    }
  });
  const size = value.shape.reduce((p, q) => p * q, 1);
  if (size !== value.values.length) {
    throw new RangeError(
      `${where}: ${show(key)}: shape ${formatShape(value.shape)} holds ${size} values, but values has ${value.values.length}`,
    );
  }
  return value;
}

/**
 * Writes host tensors (float32 as F32, int32 as I32) and string metadata as safetensors bytes,
 * in the dict's order; the header is padded with spaces so the data starts 8-byte aligned.
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, HostTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const where = 'encodeSafetensors';
  if (tensors === null || typeof tensors !== 'object') {
    throw new TypeError(`${where}: tensors must be an object of tensors, got ${describe(tensors)}`);
  }
  const header: Record<string, unknown> = {};
  if (metadata === null || typeof metadata !== 'object') {
    throw new TypeError(
      `${where}: metadata must be an object of strings, got ${describe(metadata)}`,
    );
  }
  const meta: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new TypeError(
        `${where}: metadata[${show(key)}] must be a string, got ${describe(value)}`,
      );
    }
    setOwn(meta, key, value);
  }
  if (Object.keys(meta).length > 0) header.__metadata__ = meta;
  const checked: HostTensor[] = [];
  let offset = 0;
  for (const [key, value] of Object.entries(tensors)) {
    if (key.length === 0 || key === '__metadata__') {
      throw new RangeError(`${where}: ${show(key)} cannot name a tensor`);
    }
    const t = checkHostTensor(where, key, value);
    const end = offset + t.values.byteLength;
    setOwn(header, key, {
      dtype: t.dtype === 'int32' ? 'I32' : 'F32',
      shape: [...t.shape],
      data_offsets: [offset, end],
    });
    checked.push(t);
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const t of checked) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), at);
    } else {
      const float = t.values instanceof Float32Array;
      for (let i = 0; i < t.values.length; i++) {
        if (float) view.setFloat32(at + 4 * i, t.values[i] as number, true);
        else view.setInt32(at + 4 * i, t.values[i] as number, true);
      }
    }
    at += t.values.byteLength;
  }
  return out;
}

/**
 * Writes a dict of tensors (of any backend, or host tensors) and string metadata as safetensors
 * bytes. Asynchronous because it reads the tensors (`await t.data()`); they are not disposed.
 */
export async function saveSafetensors(
  dict: Readonly<Record<string, AnyTensor | HostTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Promise<Uint8Array> {
  if (dict === null || typeof dict !== 'object') {
    throw new TypeError(
      `saveSafetensors: dict must be an object of tensors, got ${describe(dict)}`,
    );
  }
  const host: Record<string, HostTensor> = {};
  for (const [key, value] of Object.entries(dict)) {
    setOwn(
      host,
      key,
      value instanceof Tensor
        ? ({ dtype: value.dtype, shape: value.shape, values: await value.data() } as HostTensor)
        : value,
    );
  }
  return encodeSafetensors(host, metadata);
}

/**
 * Reads safetensors bytes into tensors on the current backend (float32, or int32 for integer
 * dtypes), by name in file order. Use {@link decodeSafetensors} for the metadata, or for host
 * values without a backend. A tensor with an empty dimension is an error naming it (illia-ts
 * tensors have none).
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): Record<string, AnyTensor> {
  const { tensors } = decodeSafetensors(bytes);
  const backend = getBackend();
  const out: Record<string, AnyTensor> = {};
  try {
    for (const [key, t] of Object.entries(tensors)) {
      if (t.values.length === 0) {
        throw new RangeError(
          `loadSafetensors: tensor ${show(key)} has shape ${formatShape(t.shape)}, with no elements (illia-ts tensors have no empty dimensions)`,
        );
      }
      const made = new Tensor<DType>(backend.makeTensor(t.values, t.shape), backend);
      if (made.dtype === 'int32') made.valueRange = valueRange(t.values as Int32Array);
      setOwn(out, key, made);
    }
  } catch (error) {
    for (const t of Object.values(out)) t.dispose();
    throw error;
  }
  return out;
}

/** The smallest and largest of non-empty int32 values (what index checks use). */
function valueRange(values: Int32Array): [number, number] {
  let lo = values[0] as number;
  let hi = lo;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
