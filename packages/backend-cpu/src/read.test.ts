import { describe, expect, it } from 'vitest';
import { CpuBackend } from './index.js';

describe('cpu reads', () => {
  for (const n of [10, 100_000]) {
    it(`returns a copy of ${n} elements in an ordinary ArrayBuffer of its own`, async () => {
      const backend = new CpuBackend({ threads: 2, parallelThreshold: 1024 });
      await backend.whenReady();
      const values = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3);
      const t = backend.makeTensor(values, [n]);
      expect(t.dtype).toBe('float32');
      const read = backend.readSync(t);
      expect(read).toBeInstanceOf(Float32Array);
      expect(read).toEqual(values);
      expect(read.buffer).toBeInstanceOf(ArrayBuffer);
      expect(read.byteOffset).toBe(0);
      expect(read.buffer.byteLength).toBe(n * 4);
      read.fill(7);
      expect(backend.readSync(t)).toEqual(values);
      expect(await backend.read(t)).toEqual(values);
      backend.dispose(t);
      expect(backend.memory().numTensors).toBe(0);
    });

    it(`stores int32 tensors of ${n} elements as Int32Array, counted at 4 bytes each`, async () => {
      const backend = new CpuBackend({ threads: 2, parallelThreshold: 1024 });
      await backend.whenReady();
      const values = Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);
      const t = backend.makeTensor(values, [n]);
      expect(t.dtype).toBe('int32');
      expect(backend.memory()).toEqual({ numTensors: 1, numBytes: 4 * n });
      const read = backend.readSync(t);
      expect(read).toBeInstanceOf(Int32Array);
      expect(read).toEqual(values);
      expect(read.buffer).toBeInstanceOf(ArrayBuffer);
      read.fill(7);
      expect(await backend.read(t)).toEqual(values);
      backend.dispose(t);
      // The array is recycled (n ≥ 16384) for the next output: a float32 one sees fresh bits.
      const f = backend.makeTensor(new Float32Array(n).fill(0.25), [n]);
      expect(backend.readSync(f)).toEqual(new Float32Array(n).fill(0.25));
      backend.dispose(f);
      expect(backend.memory()).toEqual({ numTensors: 0, numBytes: 0 });
    });
  }

  it('refuses values that are neither a Float32Array nor an Int32Array, and a wrong length', () => {
    const backend = new CpuBackend({ threads: 1 });
    expect(() => backend.makeTensor([1, 2] as unknown as Float32Array, [2])).toThrow(
      /cpu\.makeTensor: values must be a Float32Array or an Int32Array, got \[object Array\]/,
    );
    expect(() => backend.makeTensor(new Int32Array(3), [2, 2])).toThrow(
      /cpu\.makeTensor: shape \[2, 2\] needs 4 values, got 3/,
    );
  });
});
