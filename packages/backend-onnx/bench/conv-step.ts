/**
 * The bench's conv2d step (apps/bench `illiaConvWorkload`: `valueAndGrad` of
 * `sum(mul(conv2d(x, w), g))` with respect to x and w, then the loss, dx and dW read) on the onnx
 * backend, against the bench's ORT ceiling graph (Conv, Mul, ReduceSum, ConvTranspose of g, and
 * the weights' gradient as a Conv of transposed x and g) run by hand, alternating in one process.
 *
 *   npm run bench:conv-step -w @illia-ts/backend-onnx [-- --threads 0 --calls 60 --layer 0 --graph --spin]
 *
 * `--graph` prints the ONNX nodes the backend's step graph holds. Times: wall and this process's
 * CPU time per call, median and minimum over the counted calls (the first of each block of
 * `--block` is not counted: the other variant's threads may still spin).
 */
import * as core from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import { attr, GraphBuilder, IR_VERSION, OPSET_VERSION } from '../src/graph/graph-builder.js';
import { OnnxBackend } from '../src/index.js';
import { DataType, encodeModel } from '../src/proto/onnx.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const THREADS = arg('threads', 0);
const CALLS = arg('calls', 60);
const BLOCK = arg('block', 5);
const ONLY = arg('layer', -1);
const GRAPH = process.argv.includes('--graph');
// --ort-profile PREFIX: ONNX Runtime's per-node profile of both sessions, written at the end.
const PROFILE = process.argv.includes('--ort-profile');
const profileOptions = PROFILE
  ? {
      enableProfiling: true,
      profileFilePrefix: process.argv[process.argv.indexOf('--ort-profile') + 1],
    }
  : {};
if (PROFILE) {
  const create = ort.InferenceSession.create as (
    model: Uint8Array,
    options: ort.InferenceSession.SessionOptions,
  ) => Promise<ort.InferenceSession>;
  Object.assign(ort.InferenceSession, {
    create: (model: Uint8Array, options: ort.InferenceSession.SessionOptions) =>
      create.call(ort.InferenceSession, model, { ...options, ...profileOptions }),
  });
}

const LAYERS = [
  { name: '1→16 5×5 on 28×28', x: [64, 1, 28, 28], w: [16, 1, 5, 5], pad: 0 },
  { name: '16→32 5×5 on 12×12', x: [64, 16, 12, 12], w: [32, 16, 5, 5], pad: 0 },
  { name: '32→64 3×3 on 14×14, pad 1', x: [64, 32, 14, 14], w: [64, 32, 3, 3], pad: 1 },
] as const;

if (GRAPH) {
  const finish = GraphBuilder.prototype.finish;
  GraphBuilder.prototype.finish = function (outputs) {
    const graph = finish.call(this, outputs);
    const counts = new Map<string, number>();
    for (const n of graph.nodes) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
    console.log(
      `graph: ${graph.nodes.length} nodes, inputs ${graph.inputs.map((i) => `[${i.dims.join(',')}]`).join(' ')}, outputs ${graph.outputs.map((o) => `${o.name}[${o.dims.join(',')}]`).join(' ')}`,
    );
    for (const n of graph.nodes)
      console.log(`  ${n.opType}(${n.inputs.join(', ')}) → ${n.outputs}`);
    return graph;
  };
}

// --spin: both sessions' pool threads spin while idle (ORT's default); else both sleep.
const SPIN = process.argv.includes('--spin');
const backend = new OnnxBackend({
  name: 'onnx-conv-step',
  intraOpNumThreads: THREADS,
  spinning: SPIN,
});
core.registerBackend('onnx-conv-step', () => backend);
await core.setBackend('onnx-conv-step');

const values = (n: number, f: (i: number) => number) =>
  Float32Array.from({ length: n }, (_, i) => f(i));
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/** The bench's ceiling graph (apps/bench/src/onnx/model.ts `convStepModel`), with padding. */
function ceilingModel(
  xs: readonly number[],
  ws: readonly number[],
  ys: readonly number[],
  p: number,
) {
  const g = new GraphBuilder();
  const x = g.input(DataType.FLOAT, xs);
  const w = g.input(DataType.FLOAT, ws);
  const gy = g.input(DataType.FLOAT, ys);
  const conv = (k: readonly number[]) => [
    attr.ints('pads', [p, p, p, p]),
    attr.ints('strides', [1, 1]),
    attr.ints('dilations', [1, 1]),
    attr.int('group', 1),
    attr.ints('kernel_shape', k),
  ];
  const swap = [attr.ints('perm', [1, 0, 2, 3])];
  const y = g.op('Conv', [x, w], conv(ws.slice(2)));
  const loss = g.op('ReduceSum', [g.op('Mul', [y, gy])], [attr.int('keepdims', 0)]);
  const dx = g.op('ConvTranspose', [gy, w], conv(ws.slice(2)));
  const dwt = g.op(
    'Conv',
    [g.op('Transpose', [x], swap), g.op('Transpose', [gy], swap)],
    conv(ys.slice(2)),
  );
  const dw = g.op('Transpose', [dwt], swap);
  return encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: 'bench',
    graph: g.finish([
      { name: loss, elemType: DataType.FLOAT, dims: [] },
      { name: dx, elemType: DataType.FLOAT, dims: xs },
      { name: dw, elemType: DataType.FLOAT, dims: ws },
    ]),
  });
}

for (const [i, layer] of LAYERS.entries()) {
  if (ONLY >= 0 && ONLY !== i) continue;
  const out = [
    64,
    layer.w[0],
    layer.x[2] + 2 * layer.pad - layer.w[2] + 1,
    layer.x[3] + 2 * layer.pad - layer.w[3] + 1,
  ];
  const xv = values(sizeOf(layer.x), (k) => Math.sin(k));
  const wv = values(sizeOf(layer.w), (k) => 0.1 * Math.cos(k));
  const gv = values(sizeOf(out), (k) => Math.cos(0.37 * k));
  const x = core.tensor(xv, [...layer.x]);
  const w = core.tensor(wv, [...layer.w]);
  const g = core.tensor(gv, out);
  const session = await ort.InferenceSession.create(
    ceilingModel(layer.x, layer.w, out, layer.pad),
    {
      intraOpNumThreads: THREADS,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // As the backend's threads: sleeping while idle, or with --spin spinning (ORT's default,
      // and the bench's ceiling's).
      extra: { session: { intra_op: { allow_spinning: SPIN ? '1' : '0' } } },
    },
  );
  const feeds = {
    in0: new ort.Tensor('float32', xv, [...layer.x]),
    in1: new ort.Tensor('float32', wv, [...layer.w]),
    in2: new ort.Tensor('float32', gv, out),
  };
  const runs: Record<string, () => Promise<unknown>> = {
    'onnx backend, valueAndGrad': async () => {
      const { value, grads } = core.valueAndGrad(
        () => core.sum(core.mul(core.conv2d(x, w, { padding: layer.pad }), g)),
        [x, w],
      );
      await Promise.all([value.data(), grads[0]?.data(), grads[1]?.data()]);
      value.dispose();
      for (const t of grads) t.dispose();
    },
    'ORT ceiling graph': () => session.run(feeds),
  };
  if (GRAPH) {
    await runs['onnx backend, valueAndGrad']?.();
    continue;
  }
  const wall = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  for (const run of Object.values(runs)) for (let k = 0; k < 3; k++) await run();
  for (let call = 0; call < CALLS; call += BLOCK - 1) {
    for (const [label, run] of Object.entries(runs)) {
      await run();
      for (let k = 1; k < BLOCK; k++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await run();
        wall.set(label, [...(wall.get(label) ?? []), performance.now() - t0]);
        const c = process.cpuUsage(c0);
        cpu.set(label, [...(cpu.get(label) ?? []), (c.user + c.system) / 1000]);
      }
    }
  }
  console.log(`${layer.name} (threads ${THREADS}):`);
  for (const [label, ts] of wall) {
    const cs = cpu.get(label) as number[];
    console.log(
      `  ${label.padEnd(28)} wall median ${median(ts).toFixed(2)} ms (min ${Math.min(...ts).toFixed(2)}), cpu median ${median(cs).toFixed(2)} ms (min ${Math.min(...cs).toFixed(2)})`,
    );
  }
  x.dispose();
  w.dispose();
  g.dispose();
  await session.release();
}
// onnxruntime-node writes a profile when its session is released.
if (PROFILE) {
  backend.releaseSessions();
  await new Promise((resolve) => setTimeout(resolve, 500));
}
