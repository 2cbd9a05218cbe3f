/**
 * Arrays of disposed tensors, kept for the next tensor of the same dtype and size.
 *
 * Every large result crosses into JavaScript as a fresh ArrayBuffer, and `data()` must return a
 * copy of it. Past glibc's mmap threshold (32 MiB at most, 8·10⁶ floats) each fresh buffer is new
 * memory from the kernel, which faults in and zeroes every 4 KiB page on first write: at 10⁷
 * elements that was ~10 000 page faults per buffer and two buffers per read. Reusing the buffer of
 * a disposed tensor of the same size (a loop of sample / read / dispose) writes into memory that
 * is already mapped, so the time per element stays that of 10⁶. Small buffers are left to malloc,
 * which reuses them anyway. Float32Arrays and Int32Arrays are kept apart: a buffer goes only to a
 * tensor of its own dtype.
 */
import type { DType, TensorValues, ValuesOf } from '@illia-ts/core';
import { dtypeOf } from './graph/lazy-tensor.js';

/** Buffers below this many elements are not pooled. */
export const POOL_MIN_ELEMENTS = 2 ** 16;

export class BufferPool {
  readonly #maxBytes: number;
  /** Free buffers by dtype, then by length. */
  readonly #free = {
    float32: new Map<number, Float32Array[]>(),
    int32: new Map<number, Int32Array[]>(),
  };
  #bytes = 0;

  /** @param maxBytes the most memory the pool holds; buffers beyond it are left to the GC. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** A buffer of `dtype` and `length` with arbitrary contents, or undefined if none is free. */
  take<D extends DType>(dtype: D, length: number): ValuesOf<D> | undefined {
    const list = (this.#free[dtype] as Map<number, ValuesOf<D>[]>).get(length);
    const buffer = list?.pop();
    if (buffer !== undefined) this.#bytes -= buffer.byteLength;
    return buffer;
  }

  /** Keeps `buffer` for reuse if it is large, whole (not a view) and fits in the budget. */
  give(buffer: TensorValues): void {
    if (buffer.length < POOL_MIN_ELEMENTS || buffer.byteOffset !== 0) return;
    if (buffer.byteLength !== buffer.buffer.byteLength) return;
    if (this.#bytes + buffer.byteLength > this.#maxBytes) return;
    const free = this.#free[dtypeOf(buffer)] as Map<number, TensorValues[]>;
    const list = free.get(buffer.length);
    if (list === undefined) free.set(buffer.length, [buffer]);
    else list.push(buffer);
    this.#bytes += buffer.byteLength;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Lets every buffer go. */
  clear(): void {
    this.#free.float32.clear();
    this.#free.int32.clear();
    this.#bytes = 0;
  }
}
