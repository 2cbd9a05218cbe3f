/**
 * A short timing of a few ops on ONNX Runtime's webgpu provider against its cpu provider, in one
 * process: single-op ONNX sessions (MatMul, Conv, Add, Exp) fed from and read back to the host,
 * as the onnx backend runs them, and illia-ts's `GaussianDistribution.sample()` on an OnnxBackend
 * of each provider. Medians of timed runs after warm-up; each case stops after
 * REAL_GPU_TIMING_BUDGET_MS (default 4000) or 30 runs, whichever comes first.
 *
 *   node timing.mjs [results.json]        REAL_GPU_TIMING_SIZES=small for a software GPU
 *   node timing.mjs --probe               one webgpu session with ORT's verbose log (stderr)
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { GaussianDistribution, registerBackend, setBackend } from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import {
  attr,
  GraphBuilder,
  IR_VERSION,
  OPSET_VERSION,
} from '../../packages/backend-onnx/src/graph/graph-builder.js';
import { OnnxBackend } from '../../packages/backend-onnx/src/onnx-backend.js';
import { DataType, encodeModel } from '../../packages/backend-onnx/src/proto/onnx.js';

const small = process.env.REAL_GPU_TIMING_SIZES === 'small';
const budget = Number(process.env.REAL_GPU_TIMING_BUDGET_MS) || 4000;
const PROVIDERS = ['cpu', 'webgpu'];

function model(inputs, build, outDims) {
  const g = new GraphBuilder();
  const names = inputs.map((dims) => g.input(DataType.FLOAT, dims));
  const out = build(g, names);
  return {
    bytes: encodeModel({
      irVersion: IR_VERSION,
      opsetVersion: OPSET_VERSION,
      producerName: 'illia-ts real-gpu timing',
      graph: g.finish([{ name: out, elemType: DataType.FLOAT, dims: outDims }]),
    }),
    names,
    out,
  };
}

const sizeOf = (dims) => dims.reduce((p, q) => p * q, 1);
const values = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k) * 0.5);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function cases() {
  const mm = small ? [256, 512] : [1024, 4096];
  const list = mm.map((n) => ({
    name: `MatMul ${n}x${n} · ${n}x${n}`,
    inputs: [
      [n, n],
      [n, n],
    ],
    outDims: [n, n],
    flops: 2 * n ** 3,
    build: (g, [a, b]) => g.op('MatMul', [a, b]),
  }));
  const [N, C, H] = small ? [2, 16, 32] : [16, 64, 56];
  list.push({
    name: `Conv ${N}x${C}x${H}x${H}, ${C}x${C}x3x3, pad 1`,
    inputs: [
      [N, C, H, H],
      [C, C, 3, 3],
    ],
    outDims: [N, C, H, H],
    flops: 2 * N * C * H * H * C * 9,
    build: (g, [x, w]) => g.op('Conv', [x, w], [attr.ints('pads', [1, 1, 1, 1])]),
  });
  const n = small ? 1 << 18 : 1 << 24;
  list.push({
    name: `Add ${n}`,
    inputs: [[n], [n]],
    outDims: [n],
    flops: n,
    build: (g, [a, b]) => g.op('Add', [a, b]),
  });
  list.push({
    name: `Exp, Mul, Add ${n}`,
    inputs: [[n]],
    outDims: [n],
    flops: 3 * n,
    build: (g, [a]) => g.op('Add', [g.op('Mul', [g.op('Exp', [a]), a]), a]),
  });
  return list;
}

async function time(run) {
  for (let i = 0; i < 2; i++) await run();
  const times = [];
  const t0 = performance.now();
  while (times.length < 30 && (times.length < 3 || performance.now() - t0 < budget)) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return { medianMs: median(times), minMs: Math.min(...times), runs: times.length };
}

async function probe() {
  ort.env.logLevel = 'verbose';
  const m = model([[4]], (g, [a]) => g.op('Add', [a, a]), [4]);
  const session = await ort.InferenceSession.create(m.bytes, {
    executionProviders: ['webgpu'],
    logSeverityLevel: 0,
    logVerbosityLevel: 1,
  });
  const r = await session.run({ [m.names[0]]: new ort.Tensor('float32', values(4, 0), [4]) });
  console.log('probe result', Array.from(r[m.out].data));
  await session.release();
}

async function main() {
  const rows = [];
  const log = (s) => console.log(s);
  log(
    `onnxruntime-node ${ort.env.versions?.node ?? '?'}; ${availableParallelism()} hardware threads; cpu provider with ORT's default threads; medians over runs after 2 warm-ups (host in, host out)`,
  );
  for (const c of cases()) {
    const m = model(c.inputs, c.build, c.outDims);
    const feeds = {};
    m.names.forEach((name, k) => {
      feeds[name] = new ort.Tensor('float32', values(sizeOf(c.inputs[k]), k), c.inputs[k]);
    });
    const row = { case: c.name, flops: c.flops };
    const outs = {};
    for (const provider of PROVIDERS) {
      try {
        const session = await ort.InferenceSession.create(m.bytes, {
          executionProviders: [provider],
        });
        const run = async () => {
          const r = await session.run(feeds);
          outs[provider] = r[m.out].data;
          return outs[provider];
        };
        const t = await time(run);
        row[provider] = { ...t, gflops: c.flops / t.medianMs / 1e6 };
        await session.release();
      } catch (e) {
        row[provider] = { error: String(e?.message ?? e) };
      }
    }
    if (outs.cpu && outs.webgpu) {
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < outs.cpu.length; i++) {
        worst = Math.max(worst, Math.abs(outs.cpu[i] - outs.webgpu[i]));
        scale = Math.max(scale, Math.abs(outs.cpu[i]));
      }
      row.maxAbsDiff = worst;
      row.maxAbs = scale;
    }
    if (row.cpu?.medianMs && row.webgpu?.medianMs)
      row.speedup = row.cpu.medianMs / row.webgpu.medianMs;
    rows.push(row);
    const fmt = (p) =>
      row[p]?.error
        ? `${p} error: ${row[p].error.split('\n')[0]}`
        : `${p} ${row[p].medianMs.toFixed(2)} ms (${row[p].gflops.toFixed(1)} GFLOP/s, ${row[p].runs} runs)`;
    log(
      `${c.name}: ${PROVIDERS.map(fmt).join('; ')}; cpu/webgpu ${row.speedup?.toFixed(2) ?? '?'}x; max |diff| ${row.maxAbsDiff?.toExponential(2) ?? '?'}`,
    );
  }

  // The illia-ts level: GaussianDistribution.sample() read back, on an OnnxBackend per provider.
  const n = small ? 1 << 16 : 1 << 22;
  const row = { case: `illia-ts GaussianDistribution([${n}]).sample().data()` };
  for (const provider of PROVIDERS) {
    const name = `onnx-timing-${provider}`;
    try {
      registerBackend(name, () => new OnnxBackend({ name, executionProviders: [provider] }));
      await setBackend(name);
      const dist = new GaussianDistribution([n], { rng: 1, rhoInit: -3 });
      row[provider] = await time(async () => {
        const s = dist.sample();
        try {
          return await s.data();
        } finally {
          s.dispose();
        }
      });
      dist.dispose();
    } catch (e) {
      row[provider] = { error: String(e?.message ?? e) };
    }
  }
  if (row.cpu?.medianMs && row.webgpu?.medianMs)
    row.speedup = row.cpu.medianMs / row.webgpu.medianMs;
  rows.push(row);
  log(
    `${row.case}: ${PROVIDERS.map((p) => (row[p]?.error ? `${p} error: ${row[p].error}` : `${p} ${row[p].medianMs.toFixed(2)} ms`)).join('; ')}; cpu/webgpu ${row.speedup?.toFixed(2) ?? '?'}x`,
  );
  const path = process.argv[2] ?? 'timing.json';
  writeFileSync(path, `${JSON.stringify({ sizes: small ? 'small' : 'full', rows }, null, 1)}\n`);
}

if (process.argv.includes('--probe')) await probe();
else await main();
