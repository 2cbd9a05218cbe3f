/**
 * The counter-based generator on the webgpu provider against the cpu provider. The integer half
 * (the two uint32 hashes of each pair) is bitwise the same: uint32 Mul and Add wrap exactly on the
 * GPU, and ORT runs the bitwise ops on its CPU fallback. The normals are not: measured on
 * SwiftShader, 0.02% of draws are bitwise equal, the median difference is 3e-5 and the largest
 * 9e-4, because the GPU's Cast of uint32 to float32 is not round-to-nearest (1 ulp off for 8% of
 * words) and its Cos and Sin are 1.9e-4 off (WGSL allows 2^-11 on [−π, π], nothing past it). The
 * bound below is WGSL's; the suite's random tests check the statistics on this provider.
 */
import { randomNormal, registerBackend, setBackend } from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { attr, GraphBuilder, IR_VERSION, OPSET_VERSION } from '../graph/graph-builder.js';
import { emitHashes, keyWords } from '../kernels/random-normal.js';
import { OnnxBackend } from '../onnx-backend.js';
import { DataType, encodeModel } from '../proto/onnx.js';
import { webgpuUnavailable } from './availability.js';

const absent = (await webgpuUnavailable('onnx-webgpu random tests')) !== null;

const PAIRS = 2 ** 16;

async function hashes(provider: 'cpu' | 'webgpu', a: number, b: number): Promise<Uint32Array[]> {
  const g = new GraphBuilder();
  const av = g.input(DataType.UINT32, []);
  const bv = g.input(DataType.UINT32, []);
  const j = g.op(
    'Cast',
    [g.op('Range', [g.int32(0), g.int32(PAIRS), g.int32(1)])],
    [attr.int('to', DataType.UINT32)],
  );
  const [h1, h2] = emitHashes(g, j, 12345, av, bv);
  const outputs = [h1, h2].map((name) => ({ name, elemType: DataType.UINT32, dims: [PAIRS] }));
  const model = encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: 'illia-ts',
    graph: g.finish(outputs),
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: [provider] });
  try {
    const result = await session.run({
      [av]: new ort.Tensor('uint32', Uint32Array.of(a), []),
      [bv]: new ort.Tensor('uint32', Uint32Array.of(b), []),
    });
    return [h1, h2].map((name) => result[name]?.data as Uint32Array);
  } finally {
    await session.release();
  }
}

describe.skipIf(absent)('random numbers on the webgpu provider', () => {
  it('the integer hashes are bitwise the cpu provider’s', async () => {
    for (const seed of [0, 1, 0xdeadbeef]) {
      const { a, b } = keyWords({ seed, counter: 3 });
      const [cpu, gpu] = await Promise.all([hashes('cpu', a, b), hashes('webgpu', a, b)]);
      expect(gpu[0]).toEqual(cpu[0]);
      expect(gpu[1]).toEqual(cpu[1]);
    }
  });

  it('the normals differ from the cpu provider’s by the GPU’s log, sin and cos only', {
    timeout: 60_000,
  }, async () => {
    registerBackend('onnx-random-cpu', () => new OnnxBackend({ name: 'onnx-random-cpu' }));
    registerBackend(
      'onnx-random-webgpu',
      () => new OnnxBackend({ name: 'onnx-random-webgpu', executionProviders: ['webgpu'] }),
    );
    const draw = async (name: string) => {
      await setBackend(name);
      const t = randomNormal([2 * PAIRS], 42);
      try {
        return (await t.data()) as Float32Array;
      } finally {
        t.dispose();
      }
    };
    const cpu = await draw('onnx-random-cpu');
    const gpu = await draw('onnx-random-webgpu');
    let same = 0;
    let worst = 0;
    let excess = 0;
    const diffs: number[] = [];
    for (let i = 0; i < cpu.length; i++) {
      const c = cpu[i] as number;
      const d = Math.abs((gpu[i] as number) - c);
      if (d === 0) same++;
      diffs.push(d);
      worst = Math.max(worst, d);
      // |z| = r·|cos θ|: sin and cos within 2^-11 move z by r·2^-11; −2 ln u within 2·2^-21
      // moves r by at most √(2^-20) = 2^-10 (near u = 1, where r is small); then 8 roundings.
      const r = Math.abs(c) + Math.abs(gpu[pairOf(i, cpu.length)] as number);
      excess = Math.max(excess, d - (r * 2 ** -11 + 2 ** -10 + 8 * 2 ** -24 * Math.abs(c)));
    }
    console.log(
      `randomNormal [${cpu.length}], webgpu vs cpu: ${same} of ${cpu.length} bitwise equal (${((100 * same) / cpu.length).toFixed(1)}%), median difference ${median(diffs).toExponential(2)}, largest ${worst.toExponential(2)}`,
    );
    expect(excess).toBeLessThanOrEqual(0);
  });
});

function median(values: number[]): number {
  const sorted = values.sort((p, q) => p - q);
  return sorted[sorted.length >> 1] as number;
}

/** Element i's partner: r·cos θ and r·sin θ share r, so |z_i| + |z_partner| ≥ r. */
function pairOf(i: number, n: number): number {
  const half = n / 2;
  return i < half ? i + half : i - half;
}
