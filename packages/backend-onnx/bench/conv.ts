/**
 * conv2d through the onnx backend against ONNX Runtime's Conv called directly (a one-node
 * InferenceSession fed and read by hand), on three LeNet-like layers at batch 64, forward only,
 * side by side in one process (timings on a shared machine are noisy: compare within one run).
 *
 *   npm run bench:conv -w @illia-ts/backend-onnx [-- --threads 2 --calls 60]
 *
 * Backend rows: `conv2d(x, w).data()` on stored x and w, then dispose: the op recorded, the graph
 * planned and its cached session looked up, run, and the result read (`data()` returns a copy
 * while the tensor keeps its values: one copy of the output). Direct rows: `session.run` on the
 * same arrays, the output taken as it is, and taken with a copy (what `data()` adds).
 *
 * The variants alternate in blocks of `--block` calls (default 5), the first call of each block
 * not counted: each session has its own thread pool, whose threads spin a while after a run and
 * would slow the next variant's first call. Medians and minima over the counted calls.
 */
import { conv2d, registerBackend, setBackend, tensor } from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, IR_VERSION, OPSET_VERSION } from '../src/graph/graph-builder.js';
import { OnnxBackend } from '../src/index.js';
import { DataType, encodeModel } from '../src/proto/onnx.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const THREADS = arg('threads', 2);
const CALLS = arg('calls', 100);
const BLOCK = arg('block', 5);
const BATCH = 64;

interface Layer {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly w: [number, number, number, number];
  readonly padding: number;
}

const LAYERS: Layer[] = [
  { name: '1→16, 5×5 on 28×28', x: [BATCH, 1, 28, 28], w: [16, 1, 5, 5], padding: 0 },
  { name: '16→32, 5×5 on 12×12', x: [BATCH, 16, 12, 12], w: [32, 16, 5, 5], padding: 0 },
  { name: '32→64, 3×3 on 14×14, padding 1', x: [BATCH, 32, 14, 14], w: [64, 32, 3, 3], padding: 1 },
];

/** A one-node session: Conv of the layer's x and w, as the backend's kernel emits it. */
async function directConv(layer: Layer, out: number[]) {
  const g = new GraphBuilder();
  const x = g.input(DataType.FLOAT, layer.x);
  const w = g.input(DataType.FLOAT, layer.w);
  const p = layer.padding;
  const y = g.op(
    'Conv',
    [x, w],
    [
      { name: 'pads', type: 'ints', value: [p, p, p, p] },
      { name: 'strides', type: 'ints', value: [1, 1] },
      { name: 'dilations', type: 'ints', value: [1, 1] },
      { name: 'group', type: 'int', value: 1 },
    ],
  );
  const model = encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: 'bench',
    graph: g.finish([{ name: y, elemType: DataType.FLOAT, dims: out }]),
  });
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return { session, x, w, y };
}

const values = (n: number, f: (i: number) => number) =>
  Float32Array.from({ length: n }, (_, i) => f(i));
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  registerBackend(
    'onnx-bench',
    () => new OnnxBackend({ name: 'onnx-bench', intraOpNumThreads: THREADS }),
  );
  await setBackend('onnx-bench');
  console.log(
    `onnxruntime-node ${ort.env.versions.node}, intraOpNumThreads ${THREADS}, batch ${BATCH}; ${CALLS} calls each in alternating blocks of ${BLOCK}; % vs direct`,
  );
  for (const layer of LAYERS) {
    const xs = values(sizeOf(layer.x), (i) => Math.sin(i));
    const ws = values(sizeOf(layer.w), (i) => 0.1 * Math.cos(i));
    const x = tensor(xs, layer.x);
    const w = tensor(ws, layer.w);
    const probe = conv2d(x, w, { padding: layer.padding });
    const viaBackend = await probe.data();
    const out = [...probe.shape];
    probe.dispose();
    const direct = await directConv(layer, out);
    const feeds = {
      [direct.x]: new ort.Tensor('float32', xs, layer.x),
      [direct.w]: new ort.Tensor('float32', ws, layer.w),
    };
    const runs: Record<string, () => Promise<Float32Array>> = {
      'illia-ts onnx: conv2d(x, w).data()': async () => {
        const y = conv2d(x, w, { padding: layer.padding });
        const data = (await y.data()) as Float32Array;
        y.dispose();
        return data;
      },
      'ORT Conv, one-node session': async () => {
        const r = await direct.session.run(feeds);
        return (r[direct.y] as ort.Tensor).data as Float32Array;
      },
      'ORT Conv, one-node session, copied': async () => {
        const r = await direct.session.run(feeds);
        return ((r[direct.y] as ort.Tensor).data as Float32Array).slice();
      },
    };
    // The same numbers both ways: the backend's graph is this Conv.
    const once = await (runs['ORT Conv, one-node session'] as () => Promise<Float32Array>)();
    const differ = once.findIndex((v, i) => v !== viaBackend[i]);
    if (differ >= 0) throw new Error(`${layer.name}: results differ at ${differ}`);

    const times = new Map<string, number[]>();
    for (const run of Object.values(runs)) for (let i = 0; i < 3; i++) await run();
    for (let call = 0; call < CALLS; call += BLOCK - 1) {
      for (const [label, run] of Object.entries(runs)) {
        await run();
        for (let i = 1; i < BLOCK; i++) {
          const t0 = performance.now();
          await run();
          times.set(label, [...(times.get(label) ?? []), performance.now() - t0]);
        }
      }
    }
    const flops = 2 * sizeOf(out) * sizeOf(layer.w.slice(1));
    console.log(`\n${layer.name}: x [${layer.x.join(', ')}] → [${out.join(', ')}]`);
    const direct0 = times.get('ORT Conv, one-node session') as number[];
    const base = median(direct0);
    const baseMin = Math.min(...direct0);
    for (const [label, ts] of times) {
      const ms = median(ts);
      const min = Math.min(...ts);
      console.log(
        `  ${label.padEnd(38)} median ${ms.toFixed(3).padStart(7)} ms (${(flops / ms / 1e6).toFixed(1).padStart(5)} GFLOP/s) ${(((ms - base) / base) * 100).toFixed(1).padStart(6)}%   min ${min.toFixed(3).padStart(7)} ms ${(((min - baseMin) / baseMin) * 100).toFixed(1).padStart(6)}%`,
      );
    }
    x.dispose();
    w.dispose();
    await direct.session.release();
  }
}

await main();
