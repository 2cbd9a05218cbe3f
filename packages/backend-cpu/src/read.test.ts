import { describe, expect, it } from 'vitest';
import { CpuBackend } from './index.js';

describe('cpu reads', () => {
  for (const n of [10, 100_000]) {
    it(`returns a copy of ${n} elements in an ordinary ArrayBuffer of its own`, async () => {
      const backend = new CpuBackend({ threads: 2, parallelThreshold: 1024 });
      await backend.whenReady();
      const values = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3);
      const t = backend.makeTensor(values, [n]);
      const read = backend.readSync(t);
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
  }
});
