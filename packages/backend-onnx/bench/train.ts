/**
 * Training steps of the bench's Bayesian MLP (784-H-10, batch 128) and of examples/mnist-cnn's
 * CNN (batch 64) on the onnx backend, timed per step (for profiling: run with --cpu-prof).
 *
 *   npm run bench:train -w @illia-ts/backend-onnx [-- --model mlp|cnn --hidden 400 --threads 1 --steps 40]
 *     [--graph] [--ort-profile PREFIX] [--spin]
 *
 * Prints the median and fastest step in wall time and in this process's CPU time (which a loaded
 * machine inflates less), the time to record the step's ops, the first step (sessions made), the
 * last loss and the graph and cache stats. Under `node --cpu-prof` it shows where a step's time
 * goes between recording, planning and ONNX Runtime's run. `--graph` counts each new graph's ONNX
 * ops by type; `--ort-profile` has ONNX Runtime write its per-node profile (a JSON file per session).
 */
import * as core from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/graph/graph-builder.js';
import { OnnxBackend } from '../src/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const MODEL = arg('model', 'mlp');
const HIDDEN = Number(arg('hidden', '400'));
const THREADS = Number(arg('threads', '1'));
const STEPS = Number(arg('steps', '40'));

// --graph: the ONNX ops of each new graph, counted by type (and by shape with --graph-shapes).
if (process.argv.includes('--graph')) {
  const finish = GraphBuilder.prototype.finish;
  GraphBuilder.prototype.finish = function (outputs) {
    const graph = finish.call(this, outputs);
    const counts = new Map<string, number>();
    for (const n of graph.nodes) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
    const sorted = [...counts].sort((a, b) => b[1] - a[1]);
    console.log(
      `graph: ${graph.nodes.length} nodes, ${graph.inputs.length} inputs, ${graph.outputs.length} outputs: ${sorted.map(([op, n]) => `${op} ${n}`).join(', ')}`,
    );
    return graph;
  };
}

// --ort-profile PREFIX: ONNX Runtime's per-node profile of every session, written at the end.
const profiled: ort.InferenceSession[] = [];
const prefix = arg('ort-profile', 'ort-profile');
const PROFILE = process.argv.includes('--ort-profile');
if (PROFILE) {
  const create = ort.InferenceSession.create as (
    model: Uint8Array,
    options: ort.InferenceSession.SessionOptions,
  ) => Promise<ort.InferenceSession>;
  Object.assign(ort.InferenceSession, {
    create: async (model: Uint8Array, options: ort.InferenceSession.SessionOptions) => {
      const session = await create.call(ort.InferenceSession, model, {
        ...options,
        enableProfiling: true,
        profileFilePrefix: prefix,
      });
      profiled.push(session);
      return session;
    },
  });
}

// --spin: ORT's pool threads spin while idle (its default; the backend's is to sleep).
const backend = new OnnxBackend({
  intraOpNumThreads: THREADS,
  name: 'onnx-profile',
  spinning: process.argv.includes('--spin'),
});
core.registerBackend('onnx-profile', () => backend);
await core.setBackend('onnx-profile');

const dist = { muInit: 0, rhoInit: -7, muPrior: 0, stdPrior: 0.1 };
const bayes = { weightsDistribution: dist, biasDistribution: dist };
function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  });
}

let model: core.Sequential;
let x: core.Tensor;
let y: core.Tensor;
let loss: (m: core.Sequential) => core.Tensor;
if (MODEL === 'mlp') {
  model = new core.Sequential(
    new core.Linear(784, HIDDEN, { ...bayes, rng: 1 }),
    new core.ReLU(),
    new core.Linear(HIDDEN, 10, { ...bayes, rng: 2 }),
  );
  x = core.tensor(random(128 * 784, 3), [128, 784]);
  y = core.oneHot(
    Int32Array.from({ length: 128 }, (_, i) => i % 10),
    10,
  );
} else {
  model = new core.Sequential(
    new core.Conv2d(1, 16, 5, { ...bayes, rng: 1 }),
    new core.ReLU(),
    new core.MaxPool2d(2),
    new core.Conv2d(16, 32, 5, { ...bayes, rng: 2 }),
    new core.ReLU(),
    new core.MaxPool2d(2),
    new core.Flatten(),
    new core.Linear(512, 64, { ...bayes, rng: 3 }),
    new core.ReLU(),
    new core.Linear(64, 10, { ...bayes, rng: 4 }),
  );
  x = core.tensor(random(64 * 784, 3), [64, 1, 28, 28]);
  y = core.tensor(
    Int32Array.from({ length: 64 }, (_, i) => i % 10),
    [64],
    'int32',
  ) as unknown as core.Tensor;
}
const elbo = new core.ELBOLoss(core.crossEntropyLoss, { numSamples: 1, klWeight: 0.1 });
loss = (m) => elbo.call(m, x, y);
const params = model.parameters();
const optimizer = new core.Adam(params, { lr: 1e-3 });

const times: number[] = [];
const cpuTimes: number[] = [];
const recordTimes: number[] = [];
let last = 0;
for (let i = 0; i < STEPS; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { value, grads } = core.valueAndGrad(() => loss(model), params);
  optimizer.step(grads);
  const t1 = performance.now();
  last = (await value.data())[0] as number;
  times.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpuTimes.push((c.user + c.system) / 1000);
  recordTimes.push(t1 - t0);
  value.dispose();
  for (const g of grads) g.dispose();
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1] as number;
const warm = times.slice(5);
console.log(
  `first step ${times[0]?.toFixed(0)} ms (cpu ${cpuTimes[0]?.toFixed(0)}); ${MODEL}${MODEL === 'mlp' ? ` 784-${HIDDEN}-10` : ''} threads ${THREADS}: step median ${med(warm).toFixed(2)} ms (min ${Math.min(...warm).toFixed(2)}), cpu ${med(cpuTimes.slice(5)).toFixed(2)} ms (min ${Math.min(...cpuTimes.slice(5)).toFixed(2)}), recording ${med(recordTimes.slice(5)).toFixed(2)} ms; loss ${last.toFixed(4)}; graph ${JSON.stringify(backend.graphStats())} cache ${JSON.stringify(backend.cacheStats())}`,
);
// onnxruntime-node writes the profile when a session is released (its endProfiling does nothing).
if (PROFILE) {
  backend.releaseSessions();
  console.log(`ort profile: ${profiled.length} sessions, files ${prefix}*.json`);
}
