import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CNN_PARAM_NAMES, checkCnnTraining, cnnBatch, cnnReference } from './cnn-reference.js';
import { parseArgs, runBench } from './index.js';
import { jobCells } from './measure.js';
import { ceilingOf } from './subjects/illia.js';
import { type CnnSetup, cnnShapes, cnnSides, cnnSize, MNIST_CNN } from './subjects/types.js';

const dir = await mkdtemp(join(tmpdir(), 'illia-bench-cnn-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A Python that has torch on this machine, if any (the project never needs one). */
const pythonWithTorch = ['python3', '/usr/bin/python3'].find((python) => {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

/** The example's CNN made small: quick in float64 and on every engine. 16 → 12 → 6 → 2 → 1. */
const SMALL_CNN: CnnSetup = {
  side: 16,
  channels: [3, 4],
  kernel: 5,
  hidden: 6,
  classes: 10,
  batch: 5,
  klWeight: 0.1,
  lr: 1e-3,
};
const prior = { mu: 0, std: 0.1 };

/** Parameters as `GaussianDistribution` makes them: mu ≈ 0.1·N(0, 1), rho ≈ −7 (here: −4). */
function someParams(setup: CnnSetup): Float32Array[] {
  return cnnShapes(setup).flatMap((shape, layer) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const mu = Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin(7 * layer + 1.3 * i + 1));
    const rho = Float32Array.from({ length: n }, (_, i) => -4 + 0.1 * Math.cos(i + layer));
    return [mu, rho];
  });
}

/** Runs `trainCnn` in this process on `cnn` with `backends` and `ceilings`. */
async function runCnn(backends: string, ceilings: string, cnn: CnnSetup, python?: string) {
  const saved = process.env.ILLIA_BENCH_PYTHON;
  if (python !== undefined) process.env.ILLIA_BENCH_PYTHON = python;
  try {
    const parsed = parseArgs(
      ['--backends', backends, '--ceilings', ceilings, '--ops', 'trainCnn']
        .concat(['--repeats', '2', '--warmup', '1', '--warmup-ms', '0', '--min-sample-ms', '0.1'])
        .concat(['--max-seconds', '0.05', '--in-process', '--json', 'none', '--md', 'none'])
        .concat(['--rounds', '2']),
      dir,
    );
    if (parsed.help) throw new Error('unexpected --help');
    return (await runBench({ ...parsed.options, cnn, svg: null })).measurements;
  } finally {
    if (saved === undefined) delete process.env.ILLIA_BENCH_PYTHON;
    else process.env.ILLIA_BENCH_PYTHON = saved;
  }
}

describe('trainCnn: the Bayesian CNN of examples/mnist-cnn', () => {
  it("counts the example's 46,730 weights, and is one cell of a job, after trainStep", () => {
    expect(cnnSides(MNIST_CNN)).toEqual([24, 12, 8, 4]);
    // conv1 16·1·5·5 + 16, conv2 32·16·5·5 + 32, fc1 512·64 + 64, fc2 64·10 + 10.
    expect(cnnSize(MNIST_CNN)).toBe(416 + 12_832 + 32_832 + 650);
    expect(MNIST_CNN.batch).toBe(64);
    expect(() => cnnSides({ side: 15, kernel: 5 })).toThrow(/must be even/);
    const cells = jobCells({
      sizes: [100],
      ops: ['sample', 'trainCnn', 'trainStep'],
      train: { input: 784, hidden: [4], classes: 10, batch: 8, klWeight: 0.1, lr: 1e-3 },
      conv: { shapes: [] },
    });
    expect(cells.map((c) => [c.op, c.size])).toEqual([
      ['trainStep', 785 * 4 + 5 * 10],
      ['trainCnn', 46_730],
      ['sample', 100],
    ]);
    // Every backend's CNN rows are compared with PyTorch training the same CNN.
    for (const backend of ['cpu', 'tfjs-wasm', 'onnx']) {
      expect(ceilingOf(backend, 'trainCnn')).toBe('ceiling:torch');
    }
  });

  it('parses --cnn-batch', () => {
    const parsed = parseArgs(['--ops', 'trainCnn', '--cnn-batch', '8'], '/');
    if (parsed.help) throw new Error('unexpected --help');
    expect(parsed.options.ops).toEqual(['trainCnn']);
    expect(parsed.options.cnn).toEqual({ ...MNIST_CNN, batch: 8 });
    // Asked for by name: on tfjs's cpu engine one step takes tens of seconds.
    const plain = parseArgs([], '/');
    if (plain.help) throw new Error('unexpected --help');
    expect(plain.options.ops).not.toContain('trainCnn');
    expect(plain.options.ops).toContain('trainStep');
    expect(() => parseArgs(['--cnn-batch', 'x'], '/')).toThrow(
      "--cnn-batch: expected an integer from 1 to 4096, got 'x'",
    );
  });

  it("the float64 reference's gradients are the loss's slopes (central differences)", () => {
    const setup = { ...SMALL_CNN, batch: 3 };
    const batch = cnnBatch(setup, 2);
    const params = someParams(setup);
    const ref = cnnReference(setup, params, batch.x, batch.labels, prior);
    // A few entries of every parameter: the loss at mu ± h against the analytic gradient.
    for (let p = 0; p < params.length; p++) {
      const values = params[p] as Float32Array;
      for (const i of [0, Math.floor(values.length / 2), values.length - 1]) {
        const h = 1e-3;
        const at = (delta: number) => {
          const moved = params.map((a) => Float64Array.from(a) as unknown as Float32Array);
          (moved[p] as Float32Array)[i] = (values[i] as number) + delta;
          return cnnReference(setup, moved, batch.x, batch.labels, prior).loss;
        };
        const slope = (at(h) - at(-h)) / (2 * h);
        const grad = (ref.grads[p] as Float64Array)[i] as number;
        expect(Math.abs(slope - grad), `${CNN_PARAM_NAMES[p]}[${i}]`).toBeLessThanOrEqual(
          1e-6 + 1e-4 * Math.abs(grad),
        );
      }
    }
  });

  it('reports a wrong gradient, a wrong parameter count or a loss that does not fall', () => {
    const batch = cnnBatch(SMALL_CNN, 1);
    const params = someParams(SMALL_CNN);
    const ref = cnnReference(SMALL_CNN, params, batch.x, batch.labels, prior);
    const grads = ref.grads.map((g) => Float32Array.from(g));
    const right = { params, grads, loss: ref.loss, losses: [2.3, 2.2] };
    expect(checkCnnTraining(SMALL_CNN, right, batch, prior).problems).toEqual([]);
    const bad = grads.map((g) => g.slice());
    (bad[2] as Float32Array)[1] = ((bad[2] as Float32Array)[1] as number) + 1;
    expect(checkCnnTraining(SMALL_CNN, { ...right, grads: bad }, batch, prior).problems).toEqual([
      expect.stringMatching(/^gradient of conv1.b.mu: relative error .* > 0.001$/),
    ]);
    expect(
      checkCnnTraining(SMALL_CNN, { ...right, losses: [2.3, Number.NaN] }, batch, prior).problems,
    ).toEqual([expect.stringMatching(/not all finite/)]);
    expect(
      checkCnnTraining(SMALL_CNN, { ...right, params: params.slice(0, 8) }, batch, prior).problems,
    ).toEqual(['expected 16 parameters and gradients, got 8 and 16']);
  });

  it('checks the cpu backend against float64 before timing it; n/a where a subject has none', async () => {
    const rows = await runCnn('cpu', 'js', SMALL_CNN);
    expect(rows.map((r) => [r.subject, r.op, r.status, r.label])).toEqual([
      ['cpu', 'trainCnn', 'ok', 'CNN 3-4-6-10 (5×5) on 16×16, batch 5'],
      ['ceiling:js', 'trainCnn', 'n/a', 'CNN 3-4-6-10 (5×5) on 16×16, batch 5'],
    ]);
    const [cpu] = rows;
    expect(cpu?.size).toBe(cnnSize(SMALL_CNN));
    expect(cpu?.ceiling).toBe('ceiling:torch');
    expect(cpu?.trainCheck?.gradRelError).toBeLessThanOrEqual(1e-3);
    expect(cpu?.trainCheck?.lossRelError).toBeLessThanOrEqual(1e-4);
    expect(cpu?.trainCheck?.lastLoss).toBeLessThan(cpu?.trainCheck?.firstLoss as number);
    // 16 parameters, Adam's 32 moments, the images and their labels, and the 8 weights and
    // biases of the last draw, which each layer holds (klCost('mc') scores them).
    expect(cpu?.liveTensors).toBe(16 + 32 + 2 + 8);
  }, 60_000);

  it.skipIf(pythonWithTorch === undefined)(
    'runs PyTorch training the same CNN, checked against float64, beside cpu (where Python has torch)',
    async () => {
      const rows = await runCnn('cpu', 'torch', SMALL_CNN, pythonWithTorch);
      expect(rows.map((r) => [r.subject, r.op, r.status])).toEqual([
        ['cpu', 'trainCnn', 'ok'],
        ['ceiling:torch', 'trainCnn', 'ok'],
      ]);
      const [cpu, torch] = rows;
      expect(torch?.trainCheck?.gradRelError).toBeLessThanOrEqual(1e-3);
      expect(torch?.trainCheck?.lastLoss).toBeLessThan(torch?.trainCheck?.firstLoss as number);
      expect(torch?.engine).toMatch(/^PyTorch \d/);
      // The backend's ratio to PyTorch: the median of the two rounds' ratios, each within a round.
      const perRound = [0, 1].map((round) => {
        const at = (r: typeof cpu) => r?.rounds?.find((f) => f.round === round);
        const mine = at(cpu);
        const theirs = at(torch);
        if (mine?.status !== 'ok' || theirs?.status !== 'ok') throw new Error(`round ${round}`);
        return mine.throughput / theirs.throughput;
      });
      const [first, second] = perRound as [number, number];
      expect(cpu?.ratio).toBeCloseTo((first + second) / 2, 10);
      expect(cpu?.ratioRange).toEqual([Math.min(...perRound), Math.max(...perRound)]);
      expect(cpu?.rivals?.['ceiling:torch']?.median).toBeCloseTo(cpu?.ratio as number, 10);
    },
    120_000,
  );

  it.skipIf(pythonWithTorch === undefined)(
    'runs PyTorch on ILLIA_BENCH_TORCH_THREADS threads, and says so (where Python has torch)',
    async () => {
      const saved = process.env.ILLIA_BENCH_TORCH_THREADS;
      process.env.ILLIA_BENCH_TORCH_THREADS = '1';
      try {
        const rows = await runCnn('none', 'torch', SMALL_CNN, pythonWithTorch);
        expect(rows.map((r) => [r.subject, r.status])).toEqual([['ceiling:torch', 'ok']]);
        expect(rows[0]?.engine).toMatch(/^PyTorch .*, 1 thread$/);
      } finally {
        if (saved === undefined) delete process.env.ILLIA_BENCH_TORCH_THREADS;
        else process.env.ILLIA_BENCH_TORCH_THREADS = saved;
      }
    },
    120_000,
  );
});
