/**
 * Forms of maxPool2d's gradient for 2×2 windows of stride 2 as one-node-family ORT graphs, timed
 * side by side on one thread (CPU time per run, median and minimum), with their results checked
 * equal to the ScatterElements form.
 *
 *   npm run bench:pool-grad -w @illia-ts/backend-onnx [-- --runs 60]
 */
import * as ort from 'onnxruntime-node';
import { attr, GraphBuilder, IR_VERSION, OPSET_VERSION } from '../src/graph/graph-builder.js';
import { DataType, encodeModel } from '../src/proto/onnx.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 60);
const SHAPES = [
  [64, 16, 24, 24],
  [64, 32, 8, 8],
] as const;

type Form = (g: GraphBuilder, x: string, dy: string, s: readonly number[]) => string;
const pool = [
  attr.ints('kernel_shape', [2, 2]),
  attr.ints('pads', [0, 0, 0, 0]),
  attr.ints('strides', [2, 2]),
];

const FORMS: Record<string, Form> = {
  'MaxPool indices + ScatterElements': (g, x, dy, s) => {
    const [, indices] = g.opOutputs('MaxPool', [x], 2, pool);
    const flat = g.int64s([-1]);
    const size = s.reduce((a, b) => a * b, 1);
    const sums = g.op(
      'ScatterElements',
      [
        g.op('ConstantOfShape', [g.int64s([size])]),
        g.op('Reshape', [indices as string, flat]),
        g.op('Reshape', [dy, flat]),
      ],
      [attr.int('axis', 0), attr.string('reduction', 'add')],
    );
    return g.op('Reshape', [sums, g.int64s(s)]);
  },
  'MaxPool indices + MaxUnpool': (g, x, dy, s) => {
    const [, indices] = g.opOutputs('MaxPool', [x], 2, pool);
    return g.op('MaxUnpool', [dy, indices as string, g.int64s(s)], pool);
  },
  'MaxPool indices alone': (g, x) => g.opOutputs('MaxPool', [x], 2, pool)[0] as string,
  'SpaceToDepth, ArgMax, Equal, Where, DepthToSpace': (g, x, dy, s) => {
    const [n, c, h, w] = s as [number, number, number, number];
    const inner = (c * h * w) / 4;
    const blocks = g.op('Reshape', [
      g.op('SpaceToDepth', [x], [attr.int('blocksize', 2)]),
      g.int64s([n, 4, inner]),
    ]);
    const first = g.op('ArgMax', [blocks], [attr.int('axis', 1), attr.int('keepdims', 1)]);
    const hit = g.op('Equal', [
      first,
      g.op('Reshape', [g.int64s([0, 1, 2, 3]), g.int64s([1, 4, 1])]),
    ]);
    const picked = g.op('Where', [hit, g.op('Reshape', [dy, g.int64s([n, 1, inner])]), g.float(0)]);
    return g.op(
      'DepthToSpace',
      [g.op('Reshape', [picked, g.int64s([n, 4 * c, h / 2, w / 2])])],
      [attr.int('blocksize', 2), attr.string('mode', 'DCR')],
    );
  },
  'SpaceToDepth, MaxPool, Equal, CumSum first, Where, DepthToSpace': (g, x, dy, s) => {
    const [n, c, h, w] = s as [number, number, number, number];
    const inner = (c * h * w) / 4;
    const blocks = g.op('Reshape', [
      g.op('SpaceToDepth', [x], [attr.int('blocksize', 2)]),
      g.int64s([n, 4, inner]),
    ]);
    const y = g.op('Reshape', [g.op('MaxPool', [x], pool), g.int64s([n, 1, inner])]);
    const eq = g.op('Cast', [g.op('Equal', [blocks, y])], [attr.int('to', DataType.FLOAT)]);
    const upTo = g.op('CumSum', [eq, g.int32(1)]);
    const first = g.op('Equal', [g.op('Mul', [upTo, eq]), g.float(1)]);
    const picked = g.op('Where', [
      first,
      g.op('Reshape', [dy, g.int64s([n, 1, inner])]),
      g.float(0),
    ]);
    return g.op(
      'DepthToSpace',
      [g.op('Reshape', [picked, g.int64s([n, 4 * c, h / 2, w / 2])])],
      [attr.int('blocksize', 2), attr.string('mode', 'DCR')],
    );
  },
  'reshape [M,2,Wo,2]: MaxPool, Equal, Where (no tie rule: timing only)': (g, x, dy, s) => {
    const [n, c, h, w] = s as [number, number, number, number];
    const m = (n * c * h) / 2;
    const x4 = g.op('Reshape', [x, g.int64s([m, 2, w / 2, 2])]);
    const y = g.op('Reshape', [g.op('MaxPool', [x], pool), g.int64s([m, 1, w / 2, 1])]);
    const picked = g.op('Where', [
      g.op('Equal', [x4, y]),
      g.op('Reshape', [dy, g.int64s([m, 1, w / 2, 1])]),
      g.float(0),
    ]);
    return g.op('Reshape', [picked, g.int64s(s)]);
  },
  'MaxPool alone (the forward)': (g, x) => g.op('MaxPool', [x], pool),
  'upsampling dy by Resize nearest (timing only)': (g, _x, dy) =>
    g.op(
      'Resize',
      [dy, '', g.floats('scales', () => Float32Array.of(1, 1, 2, 2))],
      [
        attr.string('mode', 'nearest'),
        attr.string('coordinate_transformation_mode', 'asymmetric'),
        attr.string('nearest_mode', 'floor'),
      ],
    ),
  'upsampling dy by a depthwise ConvTranspose of ones (timing only)': (g, _x, dy, s) => {
    const [n, c, h, w] = s as [number, number, number, number];
    const planes = g.op('Reshape', [dy, g.int64s([n * c, 1, h / 2, w / 2])]);
    const ones = g.floats('ones', () => Float32Array.of(1, 1, 1, 1));
    const kernel = g.op('Reshape', [ones, g.int64s([1, 1, 2, 2])]);
    const up = g.op('ConvTranspose', [planes, kernel], [attr.ints('strides', [2, 2])]);
    return g.op('Reshape', [up, g.int64s(s)]);
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

for (const s of SHAPES) {
  const size = s.reduce((a, b) => a * b, 1);
  const ys = [s[0], s[1], s[2] / 2, s[3] / 2];
  // Ties on purpose: a ReLU's zeros.
  const xv = Float32Array.from({ length: size }, (_, i) => Math.max(0, Math.sin(i * 0.7)));
  const dyv = Float32Array.from({ length: size / 4 }, (_, i) => Math.cos(i));
  const feeds = {
    in0: new ort.Tensor('float32', xv, [...s]),
    in1: new ort.Tensor('float32', dyv, ys),
  };
  const sessions = new Map<string, ort.InferenceSession>();
  for (const [name, form] of Object.entries(FORMS)) {
    const g = new GraphBuilder();
    const x = g.input(DataType.FLOAT, s);
    const dy = g.input(DataType.FLOAT, ys);
    const out = form(g, x, dy, s);
    const model = encodeModel({
      irVersion: IR_VERSION,
      opsetVersion: OPSET_VERSION,
      producerName: 'bench',
      graph: g.finish([
        { name: out, elemType: DataType.FLOAT, dims: name.includes('alone') ? ys : s },
      ]),
    });
    sessions.set(
      name,
      await ort.InferenceSession.create(model, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        enableProfiling: process.env.POOL_PROFILE !== undefined,
        profileFilePrefix: `${process.env.POOL_PROFILE}-${s[1]}-${sessions.size}`,
      }),
    );
  }
  const reference = Object.values(
    await (sessions.values().next().value as ort.InferenceSession).run(feeds),
  )[0]?.data as Float32Array;
  const times = new Map<string, number[]>();
  for (let r = 0; r < RUNS; r++) {
    for (const [name, session] of sessions) {
      const c0 = process.cpuUsage();
      const result = await session.run(feeds);
      const c = process.cpuUsage(c0);
      times.set(name, [...(times.get(name) ?? []), (c.user + c.system) / 1000]);
      if (r === 0 && !name.includes('timing only') && !name.includes('alone')) {
        const got = Object.values(result)[0]?.data as Float32Array;
        const differ = got.findIndex((v, i) => v !== reference[i]);
        if (differ >= 0)
          console.log(`  ${name}: differs at ${differ}: ${got[differ]} vs ${reference[differ]}`);
      }
    }
  }
  for (const session of sessions.values()) await session.release();
  console.log(`x [${s.join(', ')}], 2×2 stride 2, one thread, CPU ms per run:`);
  for (const [name, ts] of times) {
    console.log(
      `  ${name.padEnd(72)} median ${median(ts).toFixed(3)} min ${Math.min(...ts).toFixed(3)}`,
    );
  }
}
