/**
 * The onnx backend against hand-fused ONNX Runtime sessions doing the same math, side by side
 * in one process (timings on a shared machine are noisy: compare within one run).
 *
 *   npm run bench -w @illia-ts/backend-onnx [-- --n 1000000 --threads 2]
 *
 * Rows: illia-ts `dist.sample()` / `dist.logProb(x)` read with `data()`, against one
 * InferenceSession made by hand from the same ONNX ops (our counter-based normals; ORT's
 * RandomNormalLike for reference), fed and read the same way. Medians over calls that alternate
 * between the variants.
 */
import { GaussianDistribution, registerBackend, setBackend } from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, IR_VERSION, OPSET_VERSION } from '../src/graph/graph-builder.js';
import { OnnxBackend } from '../src/index.js';
import { GAUSSIAN_LOG_RATIO, gaussianLogRatioParams } from '../src/kernels/gaussian-log-ratio.js';
import { GAUSSIAN_SAMPLE, gaussianSampleParams } from '../src/kernels/gaussian-sample.js';
import { DataType, encodeModel } from '../src/proto/onnx.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('n', 1_000_000);
const THREADS = arg('threads', 2);
const SMALL = 100;
const sessionOptions: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/** One session whose graph is `body`, taking float32 inputs of `n` elements and scalar params. */
async function handFused(
  n: number,
  tensors: number,
  params: ('float32' | 'uint32')[],
  outDims: number[],
  body: (g: GraphBuilder, inputs: string[], params: string[]) => string,
) {
  const g = new GraphBuilder();
  const inputs = Array.from({ length: tensors }, () => g.input(DataType.FLOAT, [n]));
  const paramNames = params.map((p) =>
    g.input(p === 'float32' ? DataType.FLOAT : DataType.UINT32, []),
  );
  const out = body(g, inputs, paramNames);
  const model = encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: 'bench',
    graph: g.finish([{ name: out, elemType: DataType.FLOAT, dims: outDims }]),
  });
  const session = await ort.InferenceSession.create(model, sessionOptions);
  return { session, inputs, paramNames, out };
}

function values(n: number, f: (i: number) => number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => f(i));
}

async function main() {
  registerBackend(
    'onnx-bench',
    () => new OnnxBackend({ name: 'onnx-bench', intraOpNumThreads: THREADS }),
  );
  await setBackend('onnx-bench');
  const cases: { name: string; elements: number; runs: Record<string, () => Promise<unknown>> }[] =
    [];

  for (const n of [N, SMALL]) {
    const mu = values(n, (i) => 0.1 * Math.sin(i));
    const rho = values(n, () => -3);
    const dist = new GaussianDistribution([n], { rng: 1, rhoInit: -3 });
    const x = dist.sample();
    await x.data();
    let counter = 0;

    const sampleSame = await handFused(n, 2, ['uint32', 'uint32'], [n], (g, ins, ps) =>
      GAUSSIAN_SAMPLE.emit(g, ins, ps, [n]),
    );
    const sampleOrt = await handFused(n, 2, [], [n], (g, [m, r]) => {
      const eps = g.op(
        'RandomNormalLike',
        [m as string],
        [{ name: 'seed', type: 'float', value: 1 }],
      );
      return g.op('Add', [m as string, g.op('Mul', [g.op('Softplus', [r as string]), eps])]);
    });
    const logRatio = await handFused(
      n,
      3,
      gaussianLogRatioParams({ mu: 0, std: 0.1 }).map((p) => p.type),
      [],
      (g, ins, ps) => GAUSSIAN_LOG_RATIO.emit(g, ins, ps, []),
    );
    const feed = (
      h: Awaited<ReturnType<typeof handFused>>,
      tensors: Float32Array[],
      params: { type: 'float32' | 'uint32'; value: number }[],
    ) => {
      const feeds: Record<string, ort.Tensor> = {};
      h.inputs.forEach((name, i) => {
        feeds[name] = new ort.Tensor('float32', tensors[i] as Float32Array, [n]);
      });
      h.paramNames.forEach((name, i) => {
        const p = params[i] as { type: 'float32' | 'uint32'; value: number };
        feeds[name] = new ort.Tensor(
          p.type,
          p.type === 'float32' ? Float32Array.of(p.value) : Uint32Array.of(p.value),
          [],
        );
      });
      return feeds;
    };
    const xValues = await x.data();

    cases.push({
      name: `sample, n = ${n}`,
      elements: n,
      runs: {
        'illia-ts onnx: dist.sample().data()': async () => {
          const s = dist.sample();
          await s.data();
          s.dispose();
        },
        'hand-fused session, same ops': async () => {
          const r = await sampleSame.session.run(
            feed(sampleSame, [mu, rho], gaussianSampleParams({ seed: 1, counter: counter++ })),
          );
          return (r[sampleSame.out] as ort.Tensor).data;
        },
        'hand-fused session, RandomNormalLike': async () => {
          const r = await sampleOrt.session.run(feed(sampleOrt, [mu, rho], []));
          return (r[sampleOrt.out] as ort.Tensor).data;
        },
      },
    });
    cases.push({
      name: `logProb(x), n = ${n}`,
      elements: n,
      runs: {
        'illia-ts onnx: dist.logProb(x).data()': async () => {
          const lp = dist.logProb(x);
          await lp.data();
          lp.dispose();
        },
        'hand-fused session, same ops': async () => {
          const r = await logRatio.session.run(
            feed(logRatio, [xValues, mu, rho], gaussianLogRatioParams({ mu: 0, std: 0.1 })),
          );
          return (r[logRatio.out] as ort.Tensor).data;
        },
      },
    });
  }

  console.log(
    `onnxruntime-node ${ort.env.versions.node}, intraOpNumThreads ${THREADS}; medians of alternating calls`,
  );
  for (const c of cases) {
    // Variants alternate call by call, so that load from other processes hits them alike.
    const calls = c.elements >= 100_000 ? 40 : 4000;
    const batch = c.elements >= 100_000 ? 1 : 50;
    const times = new Map<string, number[]>();
    for (const run of Object.values(c.runs)) for (let i = 0; i < 3; i++) await run();
    for (let round = 0; round < calls / batch; round++) {
      for (const [label, run] of Object.entries(c.runs)) {
        const t0 = performance.now();
        for (let i = 0; i < batch; i++) await run();
        const per = (performance.now() - t0) / batch;
        times.set(label, [...(times.get(label) ?? []), per]);
      }
    }
    console.log(`\n${c.name}`);
    const median = (xs: number[]) =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const base = median(times.get(Object.keys(c.runs)[1] as string) as number[]);
    for (const [label, ts] of times) {
      const ms = median(ts);
      const rate = c.elements / ms / 1000;
      console.log(
        `  ${label.padEnd(42)} ${(ms * 1000).toFixed(1).padStart(9)} µs/call  ${rate.toFixed(1).padStart(8)} M elem/s  ${(((ms - base) / base) * 100).toFixed(1).padStart(6)}% vs same-ops session  (${(ms - base) * 1000 >= 0 ? '+' : ''}${((ms - base) * 1000).toFixed(1)} µs)`,
      );
    }
  }
}

await main();
