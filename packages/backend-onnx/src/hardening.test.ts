/**
 * Issue 12's rows that concern this backend: an element limit from the engine's real limits
 * (row 1), reads that compute what they need (row 2), reproducible results (row 12), failed
 * graphs, the session cache and thread pools (row 13).
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomNormal, registerBackend, setBackend } from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, IR_VERSION, OPSET_VERSION } from './graph/graph-builder.js';
import type { LazyTensor } from './graph/lazy-tensor.js';
import { emitIndexGuard } from './kernels/gather.js';
import { emitNormals, MAX_CHUNKS } from './kernels/random-normal.js';
import { MAX_ELEMENTS, OnnxBackend } from './onnx-backend.js';
import { DataType, encodeModel } from './proto/onnx.js';
import { call } from './test-utils.js';

const f32 = (values: number[]) => Float32Array.from(values);
const i32 = (values: number[]) => Int32Array.from(values);

/** The OS threads of this process (Linux). */
const osThreads = () =>
  Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);

/** A chain of `length` cheap ops on `x`: graphs of different lengths differ in structure. */
function chain(backend: OnnxBackend, x: LazyTensor, length: number): LazyTensor[] {
  const made: LazyTensor[] = [];
  let t = x;
  for (let i = 0; i < length; i++) {
    t = call(backend, i % 2 === 0 ? 'neg' : 'abs', [t]);
    made.push(t);
  }
  return made;
}

async function readChain(backend: OnnxBackend, x: LazyTensor, length: number): Promise<void> {
  const made = chain(backend, x, length);
  await backend.read(made.at(-1) as LazyTensor);
  for (const t of made) backend.dispose(t);
}

describe('row 1: the element limit', () => {
  it('is 2^32 − 1 (typed arrays and onnxruntime-node dimensions), and core refuses more before any kernel', async () => {
    const backend = new OnnxBackend({ name: 'onnx-limit' });
    expect(backend.maxElements).toBe(2 ** 32 - 1);
    expect(MAX_ELEMENTS).toBe(2 ** 32 - 1);
    registerBackend('onnx-limit', () => backend);
    await setBackend('onnx-limit');
    for (const shape of [
      [65536, 65536],
      [1e9, 1e9],
    ]) {
      expect(() => randomNormal(shape, 1)).toThrow(
        /randomNormal: the output .* backend 'onnx-limit' holds at most 4294967295 per tensor/,
      );
    }
    expect(backend.memory()).toEqual({ numTensors: 0, numBytes: 0 });
    expect(backend.graphStats().runs).toBe(0);
  });

  it('emits a draw of 2^32 − 1 elements as at most 128 chains, not 8,192', () => {
    const g = new GraphBuilder();
    emitNormals(g, MAX_ELEMENTS, g.input(DataType.UINT32, []), g.input(DataType.UINT32, []));
    const nodes = g.finish([]).nodes.length;
    expect(nodes).toBeLessThan(40 * MAX_CHUNKS);
  });

  it('fails a negative index past 2^30 rows instead of wrapping it into range', async () => {
    const guarded = async (rows: number, indices: number[]) => {
      const g = new GraphBuilder();
      const x = g.input(DataType.INT32, [indices.length]);
      const y = emitIndexGuard(g, x, rows);
      const elemType = rows <= 2 ** 30 ? DataType.INT32 : DataType.INT64;
      const model = encodeModel({
        irVersion: IR_VERSION,
        opsetVersion: OPSET_VERSION,
        producerName: 'test',
        graph: g.finish([{ name: y, elemType, dims: [indices.length] }]),
      });
      const session = await ort.InferenceSession.create(model);
      const out = await session.run({
        [x]: new ort.Tensor('int32', i32(indices), [indices.length]),
      });
      await session.release();
      return Array.from(out[y]?.data as Int32Array | BigInt64Array, Number);
    };
    const low = -(2 ** 31);
    for (const rows of [3, 2 ** 30, 2 ** 30 + 100, 2 ** 31 + 7]) {
      const out = await guarded(rows, [low, low + 5, -1, 0, 2]);
      // Gather takes [−rows, rows): every negative index must land outside, the rest unchanged.
      for (const v of out.slice(0, 3))
        expect(v < -rows || v >= rows, `rows ${rows}: ${v}`).toBe(true);
      expect(out.slice(3)).toEqual([0, 2]);
    }
  });
});

describe('row 2: a read computes what it needs', { timeout: 120_000 }, () => {
  it('does not compute 1,000 or 2,000 unread live tensors that it does not need', async () => {
    const backend = new OnnxBackend({ name: 'onnx-unread' });
    for (const n of [1000, 2000]) {
      const unread = Array.from({ length: n }, (_, i) =>
        call(backend, 'randomNormal', [], { key: { seed: 1, counter: i }, shape: [3] }, [3]),
      );
      const x = backend.makeTensor(f32([1, 2, 3]), [3]);
      const y = call(backend, 'neg', [x]);
      expect(Array.from(await backend.read(y))).toEqual([-1, -2, -3]);
      // One node, one output: before, one graph of every pending tensor (15–65 s).
      expect(backend.graphStats()).toMatchObject({ lastNodes: 1, lastOutputs: 1 });
      expect(unread.every((t) => t.values === null)).toBe(true);
      // Each is computed when read, alone, from one cached session.
      await backend.read(unread[0] as LazyTensor);
      await backend.read(unread[1] as LazyTensor);
      expect(backend.graphStats()).toMatchObject({ lastNodes: 1, lastOutputs: 1 });
      for (const t of [...unread, x, y]) backend.dispose(t);
    }
    expect(backend.memory()).toEqual({ numTensors: 0, numBytes: 0 });
  });

  it('computes the pending live tensors linked to it through pending nodes, in the same run', async () => {
    const backend = new OnnxBackend({ name: 'onnx-linked' });
    const x = backend.makeTensor(f32([1, 2]), [2]);
    const h = call(backend, 'square', [x]);
    const u = call(backend, 'neg', [h]); // linked to v through h
    const v = call(backend, 'exp', [h]);
    const w = call(backend, 'abs', [x]); // only shares the materialised x: not linked
    backend.dispose(h);
    const runs = backend.graphStats().runs;
    expect(Array.from(await backend.read(u))).toEqual([-1, -4]);
    expect(backend.graphStats().runs).toBe(runs + 1);
    expect(v.values).not.toBeNull();
    expect(w.values).toBeNull();
    const [e1, e4] = await backend.read(v);
    expect(e1).toBeCloseTo(Math.E, 5);
    expect(e4).toBeCloseTo(Math.exp(4), 4);
    expect(backend.graphStats().runs).toBe(runs + 1);
    for (const t of [x, u, v, w]) backend.dispose(t);
  });

  it('runs reads started together as one graph', async () => {
    const backend = new OnnxBackend({ name: 'onnx-together' });
    const x = backend.makeTensor(f32([1, 2, 3]), [3]);
    const ys = ['exp', 'neg', 'abs', 'square'].map((op) => call(backend, op, [x]));
    const runs = backend.graphStats().runs;
    const values = await Promise.all(ys.map((y) => backend.read(y)));
    expect(backend.graphStats().runs).toBe(runs + 1);
    expect(Array.from(values[3] as Float32Array)).toEqual([1, 4, 9]);
    for (const t of [x, ...ys]) backend.dispose(t);
  });
});

describe('row 12: a deterministic mode', () => {
  it('runs every op on one thread: the same bits as one thread, whatever the cores', async () => {
    // A product with a long inner dimension: ORT splits it by thread count (measured: with 4
    // threads all 16 elements differ in their last bits from 1 thread's).
    const product = async (backend: OnnxBackend) => {
      const k = 65536;
      const a = backend.makeTensor(
        Float32Array.from({ length: 4 * k }, (_, i) => Math.sin(i * 0.37 + 0.1)),
        [4, k],
      );
      const b = backend.makeTensor(
        Float32Array.from({ length: 4 * k }, (_, i) => Math.sin(i * 0.11 + 0.1)),
        [k, 4],
      );
      const c = call(backend, 'matMul', [a, b], { transposeA: false, transposeB: false }, [4, 4]);
      const values = await backend.read(c);
      for (const t of [a, b, c]) backend.dispose(t);
      return values;
    };
    const deterministic = new OnnxBackend({ name: 'onnx-det', deterministic: true });
    expect(deterministic.options).toMatchObject({
      deterministic: true,
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    const one = new OnnxBackend({ name: 'onnx-one', intraOpNumThreads: 1 });
    expect(await product(deterministic)).toEqual(await product(one));
    expect(() => new OnnxBackend({ deterministic: true, intraOpNumThreads: 4 })).toThrow(
      /deterministic: true runs every op on one thread, but intraOpNumThreads is 4/,
    );
  });
});

describe('row 13: failed graphs, the session cache and threads', { timeout: 120_000 }, () => {
  it('reports a failed graph once: later reads get its error without running anything', async () => {
    const backend = new OnnxBackend({ name: 'onnx-failed' });
    const table = backend.makeTensor(f32([1, 2, 3]), [3]);
    const index = backend.makeTensor(i32([5]), [1]);
    // Core checks indices it knows; a backend call that skips it records a graph that fails.
    const bad = call(backend, 'gather', [table, index], {}, [1]);
    const runs = backend.graphStats().runs;
    const failed = /running the graph of a tensor of shape \[1\] on cpu failed: .*Gather.*out of/;
    await expect(backend.read(bad)).rejects.toThrow(failed);
    expect(backend.graphStats().runs).toBe(runs + 1);
    await expect(backend.read(bad)).rejects.toThrow(failed);
    const after = call(backend, 'exp', [bad]);
    await expect(backend.read(after)).rejects.toThrow(
      /an input of this tensor could not be computed: .*Gather/,
    );
    expect(backend.graphStats().runs).toBe(runs + 1);
    for (const t of [table, index, bad, after]) backend.dispose(t);
    expect(backend.memory()).toEqual({ numTensors: 0, numBytes: 0 });
  });

  it('does not retry a bad tensor linked to others in every later read', async () => {
    const backend = new OnnxBackend({ name: 'onnx-bad-linked' });
    const x = backend.makeTensor(f32([1, 2, 3]), [3]);
    const h = call(backend, 'square', [x]);
    const goods = ['neg', 'abs', 'sqrt'].map((op) => call(backend, op, [h]));
    const index = backend.makeTensor(i32([7]), [1]);
    const bad = call(backend, 'gather', [h, index], {}, [1]);
    backend.dispose(h);
    const runs = backend.graphStats().runs;
    const values = [];
    for (const t of goods) values.push(Array.from(await backend.read(t)));
    expect(values).toEqual([
      [-1, -4, -9],
      [1, 4, 9],
      [1, 2, 3],
    ]);
    // The first read's graph (with bad) fails, then it runs alone; the others run alone once.
    expect(backend.graphStats().runs - runs).toBe(4);
    await expect(backend.read(bad)).rejects.toThrow(/Gather/);
    await expect(backend.read(bad)).rejects.toThrow(/Gather/);
    expect(backend.graphStats().runs - runs).toBe(5);
    for (const t of [x, index, bad, ...goods]) backend.dispose(t);
  });

  it('keeps hitting the cache when a cycle of graph structures outgrows it', async () => {
    const backend = new OnnxBackend({ name: 'onnx-cycle', cacheSize: 8 });
    const x = backend.makeTensor(f32([0.5, -1, 2]), [3]);
    for (let round = 0; round < 5; round++) {
      for (let length = 1; length <= 10; length++) await readChain(backend, x, length);
    }
    // LRU: 0 hits of 50. Now about 8 per round after the first.
    const { hits, misses, size } = backend.cacheStats();
    expect(size).toBe(8);
    expect(hits).toBeGreaterThanOrEqual(28);
    expect(hits + misses).toBe(50);
    backend.dispose(x);
  });

  it.runIf(existsSync('/proc/self/status'))(
    'makes sessions of small graphs without thread pools, and caps the threaded ones',
    async () => {
      const backend = new OnnxBackend({ name: 'onnx-threads', intraOpNumThreads: 8 });
      const small = backend.makeTensor(f32([0.5, -1, 2]), [3]);
      const before = osThreads();
      for (let length = 1; length <= 70; length++) await readChain(backend, small, length);
      // Before: 7 pool threads per cached session, 460 threads after 70 graphs.
      expect(osThreads() - before).toBeLessThan(8);
      expect(backend.cacheStats().threaded).toBe(0);
      // Graphs of 2^16-element ops get threads: at most 64 pool threads' worth of sessions.
      backend.releaseSessions();
      const large = backend.makeTensor(new Float32Array(2 ** 16).fill(0.5), [2 ** 16]);
      for (let length = 1; length <= 12; length++) await readChain(backend, large, length);
      expect(backend.cacheStats().threaded).toBe(9);
      expect(osThreads() - before).toBeLessThanOrEqual(9 * 7 + 8);
      backend.releaseSessions();
      for (const t of [small, large]) backend.dispose(t);
    },
  );
});
