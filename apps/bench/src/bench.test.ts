import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConv, convData, convReference } from './conv-reference.js';
import { markdownReport, parseArgs, runBench, textTable, writeReports } from './index.js';
import { jobCells } from './measure.js';
import type { BenchReport } from './results.js';
import { parseSubjectId } from './subjects/illia.js';
import {
  type ConvShape,
  conv2dFlops,
  convOutput,
  convStepFlops,
  LENET_CONVS,
} from './subjects/types.js';
import { CHAINS, expectedSum, flopsPerIteration } from './subjects/wasm-simd.js';
import { checkTraining, trainBatch, trainReference } from './train-reference.js';

const dir = await mkdtemp(join(tmpdir(), 'illia-bench-'));
/** The training step's MLP as parseArgs makes it (for calls that need a whole setup). */
const trainSetup = { input: 784, hidden: [100], classes: 10, batch: 128, klWeight: 0.1, lr: 1e-3 };

/** A Python that has `module` on this machine, if any (the project never needs one). */
function pythonWith(module: string): string | undefined {
  return ['python3', '/usr/bin/python3'].find((python) => {
    try {
      execFileSync(python, ['-c', `import ${module}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}
const pythonWithNumpy = pythonWith('numpy');
const pythonWithTorch = pythonWith('torch');

/** Runs the bench in this process with only `ceilings` (tiny sizes), Python chosen by `python`. */
async function runRivals(ceilings: string, python: string, ops = 'sample,logProb') {
  const saved = process.env.ILLIA_BENCH_PYTHON;
  process.env.ILLIA_BENCH_PYTHON = python;
  try {
    const parsed = parseArgs(
      ['--backends', 'none', '--ceilings', ceilings, '--sizes', '1000', '--ops', ops]
        .concat(['--hidden', '4', '--batch', '8'])
        .concat(['--repeats', '2', '--warmup-ms', '0', '--min-sample-ms', '0.1'])
        .concat(['--max-seconds', '0.05', '--in-process', '--json', 'none', '--md', 'none'])
        .concat(['--rounds', '1']),
      dir,
    );
    if (parsed.help) throw new Error('unexpected --help');
    return (await runBench(parsed.options)).measurements;
  } finally {
    if (saved === undefined) delete process.env.ILLIA_BENCH_PYTHON;
    else process.env.ILLIA_BENCH_PYTHON = saved;
  }
}
/** A small convolution, quick in float64 and on every engine. */
const SMALL_CONV: ConvShape = {
  batch: 2,
  inChannels: 3,
  outChannels: 4,
  height: 7,
  width: 6,
  kernelHeight: 3,
  kernelWidth: 2,
};

/** Runs the conv2d page in this process with `backends` and `ceilings` on `shapes`. */
async function runConv(
  backends: string,
  ceilings: string,
  shapes: readonly ConvShape[] = [SMALL_CONV],
  python?: string,
) {
  const saved = process.env.ILLIA_BENCH_PYTHON;
  if (python !== undefined) process.env.ILLIA_BENCH_PYTHON = python;
  try {
    const parsed = parseArgs(
      ['--backends', backends, '--ceilings', ceilings, '--ops', 'conv2d']
        .concat(['--repeats', '2', '--warmup-ms', '0', '--min-sample-ms', '0.1'])
        .concat(['--max-seconds', '0.05', '--in-process', '--json', 'none', '--md', 'none'])
        .concat(['--rounds', '1']),
      dir,
    );
    if (parsed.help) throw new Error('unexpected --help');
    const report = await runBench({ ...parsed.options, conv: { shapes } });
    return { report, rows: report.measurements };
  } finally {
    if (saved === undefined) delete process.env.ILLIA_BENCH_PYTHON;
    else process.env.ILLIA_BENCH_PYTHON = saved;
  }
}
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('bench', () => {
  it('runs end to end on tiny sizes and writes valid JSON, Markdown and SVG', async () => {
    const parsed = parseArgs(
      [
        '--backends',
        'cpu,cpu:1thread,cpu:composed,no-such-backend',
        '--ceilings',
        'js,ort',
        '--sizes',
        '10,100',
        '--hidden',
        '4',
        '--batch',
        '8',
        '--ops',
        'construct,sample,logProb,sample+logProb,trainStep,conv2d',
        '--conv-batch',
        '1',
        '--repeats',
        '2',
        '--warmup',
        '1',
        '--warmup-ms',
        '0',
        '--min-sample-ms',
        '0.1',
        '--max-seconds',
        '0.05',
        '--rounds',
        '2',
        '--out-dir',
        dir,
        '--in-process',
      ],
      dir,
    );
    if (parsed.help) throw new Error('unexpected --help');
    const report = await runBench(parsed.options);
    const written = await writeReports(report, parsed.options);
    expect(written).toHaveLength(3);

    const json = JSON.parse(await readFile(join(dir, 'bench.json'), 'utf8')) as BenchReport;
    expect(json.machine.cores).toBeGreaterThan(0);
    // Every subject, size and operation has a row, whatever its status: 4 Gaussian operations at
    // 2 sizes, the training step at 1 hidden width and conv2d on LeNet's 3 shapes.
    expect(json.measurements).toHaveLength(6 * (2 * 4 + 1 + 3));
    const cpu = json.measurements.filter((m) => m.subject.startsWith('cpu'));
    // Reasons, not just a boolean, when a row is not ok.
    expect(cpu.filter((m) => m.status !== 'ok').map((m) => m.reason)).toEqual([]);
    expect(cpu.every((m) => m.throughput! > 0)).toBe(true);
    // Two rounds each, their figures kept; the row's throughput is within their range.
    for (const m of cpu) {
      expect(m.rounds?.map((r) => [r.round, r.status])).toEqual([
        [0, 'ok'],
        [1, 'ok'],
      ]);
      const [lo, hi] = m.throughputRange!;
      expect(m.throughput).toBeGreaterThanOrEqual(lo);
      expect(m.throughput).toBeLessThanOrEqual(hi);
    }
    // Ratios to ceiling:js are taken within each round: a range around the median.
    const sample = cpu.find((m) => m.subject === 'cpu' && m.op === 'sample' && m.size === 100)!;
    expect(sample.ratio).toBeGreaterThanOrEqual(sample.ratioRange![0]);
    expect(sample.ratio).toBeLessThanOrEqual(sample.ratioRange![1]);
    const gaussian = cpu.filter((m) => m.op !== 'trainStep' && m.op !== 'conv2d');
    expect(gaussian.every((m) => m.check!.relError <= 1e-4)).toBe(true);
    // The training step: 784-4-10 has 3190 weights; checked against float64 before timing.
    const train = cpu.filter((m) => m.op === 'trainStep');
    expect(train.map((m) => [m.size, m.label])).toEqual(Array(3).fill([3190, '784-4-10, batch 8']));
    for (const m of train) {
      expect(m.trainCheck!.gradRelError).toBeLessThanOrEqual(1e-3);
      expect(m.trainCheck!.lastLoss).toBeLessThan(m.trainCheck!.firstLoss);
    }
    // conv2d: checked against float64, its size the FLOPs of forward + dx + dW at batch 1.
    const conv = cpu.filter((m) => m.op === 'conv2d');
    expect(conv.map((m) => m.size)).toEqual(
      Array(3)
        .fill([3 * 2 * 16 * 576 * 25, 3 * 2 * 32 * 64 * 400, 3 * 2 * 64 * 144 * 288])
        .flat(),
    );
    for (const m of conv) {
      const c = m.convCheck!;
      expect(Math.max(c.yRelError, c.dxRelError, c.dWRelError)).toBeLessThanOrEqual(1e-3);
      // The cpu backends are compared with the wasm SIMD peak (not run here: no ratio).
      expect(m.ceiling).toBe('ceiling:wasm-f32x4');
    }
    // The thread count is asked of the backend, and said.
    expect(cpu.find((m) => m.subject === 'cpu:1thread')?.engine).toMatch(/'cpu-1t', 1 thread/);
    // A ceiling has no training step: shown n/a, with no ratio on the backends' rows.
    expect(
      json.measurements.filter((m) => m.subject === 'ceiling:js' && m.op === 'trainStep'),
    ).toMatchObject([{ status: 'n/a' }]);
    expect(train.every((m) => m.ratio === undefined)).toBe(true);
    // A backend that is not installed is reported, not a crash.
    expect(json.unavailable.map((u) => u.subject)).toContain('no-such-backend');
    expect(await readFile(join(dir, 'bench.md'), 'utf8')).toMatch(/^\| `cpu` +\|/m);
    expect(await readFile(join(dir, 'bench.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    expect(await readFile(join(dir, 'bench.md'), 'utf8')).toMatch(
      /^\| `cpu` +\| +[\d.]+ \[[\d.]+–[\d.]+\], [\d.]+× /m,
    );
  }, 60_000);

  it('reports a wrong gradient or a loss that does not fall', () => {
    const setup = { input: 3, hidden: [2], classes: 2, batch: 4, klWeight: 0.1, lr: 1e-3 };
    const batch = trainBatch(setup, 1);
    const prior = { mu: 0, std: 0.1 };
    const shapes = [6, 6, 2, 2, 4, 4, 2, 2];
    const params = shapes.map((n, k) =>
      Float32Array.from({ length: n }, (_, i) => (k % 2 === 1 ? -7 : Math.sin(3 * k + i))),
    );
    const ref = trainReference(setup, 2, params, batch.x, batch.labels, prior);
    const grads = ref.grads.map((g) => Float32Array.from(g));
    const right = { params, grads, loss: ref.loss, losses: [2, 1.9, 1.8] };
    expect(checkTraining(setup, 2, right, batch, prior).problems).toEqual([]);
    const bad = grads.map((g) => g.slice());
    (bad[4] as Float32Array)[0] = ((bad[4] as Float32Array)[0] as number) + 1;
    expect(checkTraining(setup, 2, { ...right, grads: bad }, batch, prior).problems).toEqual([
      expect.stringMatching(/^gradient of W2.mu: relative error .* > 0.001$/),
    ]);
    expect(checkTraining(setup, 2, { ...right, losses: [2, 2.1] }, batch, prior).problems).toEqual([
      expect.stringMatching(/the loss did not fall over 2 steps/),
    ]);
  });

  it('reports the Python rivals unavailable, with the reason, where there is no such Python', async () => {
    const rows = await runRivals('torch', '/nonexistent/python3');
    expect(rows.map((r) => [r.subject, r.op, r.status])).toEqual([
      ['ceiling:torch', 'sample', 'unavailable'],
      ['ceiling:torch', 'logProb', 'unavailable'],
    ]);
    expect(rows[0]?.reason).toMatch(/no Python with torch \(\/nonexistent\/python3: .*ENOENT/);
  });

  it('reports a Python rival that exits mid-run as an error row, without crashing', async () => {
    // A stand-in that answers `open` and exits: the next request's write meets a closed pipe.
    const fake = join(dir, 'fake-python.sh');
    await writeFile(fake, `#!/bin/sh\nread line\necho '{"engine": "fake"}'\n`, { mode: 0o755 });
    const rows = await runRivals('numpy', fake);
    expect(rows.map((r) => [r.subject, r.op, r.status])).toEqual([
      ['ceiling:numpy', 'sample', 'error'],
      ['ceiling:numpy', 'logProb', 'error'],
    ]);
    expect(rows[0]?.reason).toMatch(/python exited/);
  });

  it.skipIf(pythonWithNumpy === undefined)(
    'times the numpy rival after checking it against float64 (where Python has numpy)',
    async () => {
      const rows = await runRivals('numpy', pythonWithNumpy as string);
      expect(rows.map((r) => [r.subject, r.op, r.status])).toEqual([
        ['ceiling:numpy', 'sample', 'ok'],
        ['ceiling:numpy', 'logProb', 'ok'],
      ]);
      expect(rows[0]?.check?.relError).toBeLessThan(1e-4);
      expect(rows[0]?.engine).toMatch(/^numpy \d/);
    },
  );

  it.skipIf(pythonWithTorch === undefined)(
    "checks PyTorch's training step against float64 before timing it (where Python has torch)",
    async () => {
      const rows = await runRivals('torch', pythonWithTorch as string, 'trainStep');
      expect(rows.map((r) => [r.subject, r.op, r.status])).toEqual([
        ['ceiling:torch', 'trainStep', 'ok'],
      ]);
      expect(rows[0]?.trainCheck?.gradRelError).toBeLessThan(1e-3);
    },
  );

  it('reads thread counts and modifiers in subject ids', () => {
    expect(parseSubjectId('cpu:1thread')).toEqual({ name: 'cpu', composed: false, threads: 1 });
    expect(parseSubjectId('onnx:2threads:composed')).toEqual({
      name: 'onnx',
      composed: true,
      threads: 2,
    });
    expect(parseSubjectId('cpu:2threads:uncached')).toEqual({
      name: 'cpu',
      composed: false,
      threads: 2,
      uncached: true,
    });
    expect(() => parseArgs(['--backends', 'cpu:fast'], '/')).toThrow(
      /--backends: subject 'cpu:fast': expected NAME\[:Nthreads\]\[:composed\]\[:uncached\].*got modifier 'fast'/,
    );
  });

  it('names the argument, what it expects and what came', () => {
    expect(() => parseArgs(['--sizes', '1e2,abc'], '/')).toThrow(
      "--sizes: expected positive integers up to 2^30 such as 1e2,1e4, got 'abc'",
    );
    expect(() => parseArgs(['--ops', 'train'], '/')).toThrow(
      /--ops: expected some of .*got 'train'/,
    );
    expect(() => parseArgs(['--device', 'tpu'], '/')).toThrow(/--device: .*got 'tpu'/);
    expect(() => parseArgs(['--hidden', '0'], '/')).toThrow(
      "--hidden: expected integers from 1 to 65536 such as 100,400, got '0'",
    );
    expect(() => parseArgs(['--bogus'], '/')).toThrow(/unknown argument '--bogus'/);
    expect(() => parseArgs(['--warmup-ms', '-1'], '/')).toThrow(
      /--warmup-ms: expected a number ≥ 0, got '-1'/,
    );
  });

  it('counts 2·N·O·Ho·Wo·(C/groups)·kh·kw FLOPs per convolution, three per conv2d step', () => {
    // LeNet's convolutions at batch 64: forward + dx + dW.
    const shapes = LENET_CONVS.map((c) => ({ ...c, batch: 64 }));
    expect(shapes.map((s) => convOutput(s))).toEqual([
      [24, 24],
      [8, 8],
      [12, 12],
    ]);
    expect(shapes.map(convStepFlops)).toEqual([
      3 * 2 * 64 * 16 * 24 * 24 * 1 * 5 * 5,
      3 * 2 * 64 * 32 * 8 * 8 * 16 * 5 * 5,
      3 * 2 * 64 * 64 * 12 * 12 * 32 * 3 * 3,
    ]);
    expect(shapes.map(convStepFlops)).toEqual([88_473_600, 314_572_800, 1_019_215_872]);
    // Groups, stride, padding and dilation as conv2d takes them: Ho = Wo = 5 here.
    expect(
      conv2dFlops([2, 4, 9, 9], [6, 2, 3, 3], { stride: 2, padding: 1, groups: 2, dilation: 1 }),
    ).toBe(2 * 2 * 6 * 5 * 5 * 2 * 3 * 3);
    expect(conv2dFlops([1, 1, 9, 9], [1, 1, 3, 3], { dilation: [2, 1] })).toBe(2 * 5 * 7 * 9);
    expect(() => conv2dFlops([1, 4, 9, 9], [6, 3, 3, 3], { groups: 2 })).toThrow(
      /conv2dFlops: weights take 3 channels per group, x has 4 in 2 groups/,
    );
    // Each shape is one cell of a job, its size the step's FLOPs, so its throughput is FLOP/s.
    const cells = jobCells({
      sizes: [100],
      ops: ['conv2d', 'sample'],
      train: { ...trainSetup, hidden: [] },
      conv: { shapes },
    });
    expect(cells.map((c) => [c.op, c.size])).toEqual([
      ['conv2d', 88_473_600],
      ['conv2d', 314_572_800],
      ['conv2d', 1_019_215_872],
      ['sample', 100],
    ]);
    // The wasm peak runs exactly the shape's FLOPs: whole iterations of its loop.
    for (const lanes of ['f32x4', 'f64x2'] as const) {
      expect(flopsPerIteration(lanes)).toBe(CHAINS * (lanes === 'f32x4' ? 8 : 4));
      for (const s of shapes) expect(convStepFlops(s) % flopsPerIteration(lanes)).toBe(0);
    }
  });

  it('parses --ops conv2d and --conv-batch', () => {
    const parsed = parseArgs(['--ops', 'conv2d'], '/');
    if (parsed.help) throw new Error('unexpected --help');
    expect(parsed.options.ops).toEqual(['conv2d']);
    expect(parsed.options.conv.shapes).toEqual(LENET_CONVS.map((c) => ({ ...c, batch: 64 })));
    const small = parseArgs(['--ops', 'conv2d,trainStep', '--conv-batch=8'], '/');
    if (small.help) throw new Error('unexpected --help');
    expect(small.options.ops).toEqual(['conv2d', 'trainStep']);
    expect(small.options.conv.shapes.map((s) => s.batch)).toEqual([8, 8, 8]);
    // The kernels page is asked for by name, not part of the default run.
    const plain = parseArgs([], '/');
    if (plain.help) throw new Error('unexpected --help');
    expect(plain.options.ops).not.toContain('conv2d');
    expect(plain.options.ops).toContain('trainStep');
    expect(() => parseArgs(['--conv-batch', '0'], '/')).toThrow(
      "--conv-batch: expected an integer from 1 to 4096, got '0'",
    );
    expect(() => parseArgs(['--ceilings', 'wasm-f16'], '/')).toThrow(
      /--ceilings: expected some of .*ceiling:wasm-f32x4.*got 'wasm-f16'/,
    );
  });

  it('checks y, dx and dW against a float64 reference, and names a wrong one', () => {
    const data = convData(SMALL_CONV, 3);
    const ref = convReference(SMALL_CONV, data);
    const [ho, wo] = convOutput(SMALL_CONV);
    // The reference against the definition, term by term.
    const { batch: n, inChannels: c, outChannels: o, height: h, width: w } = SMALL_CONV;
    const { kernelHeight: kh, kernelWidth: kw } = SMALL_CONV;
    const at = (b: number, ch: number, i: number, j: number, chs: number, hh: number, ww: number) =>
      ((b * chs + ch) * hh + i) * ww + j;
    for (const [b, oc, i, j] of [
      [0, 0, 0, 0],
      [1, 3, 4, 4],
      [1, 2, 2, 1],
    ] as const) {
      let y = 0;
      for (let ic = 0; ic < c; ic++)
        for (let p = 0; p < kh; p++)
          for (let q = 0; q < kw; q++)
            y +=
              (data.x[at(b, ic, i + p, j + q, c, h, w)] as number) *
              (data.w[at(oc, ic, p, q, c, kh, kw)] as number);
      expect(ref.y[at(b, oc, i, j, o, ho, wo)]).toBeCloseTo(y, 12);
    }
    let dW0 = 0;
    for (let b = 0; b < n; b++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++)
          dW0 +=
            (data.g[at(b, 0, i, j, o, ho, wo)] as number) *
            (data.x[at(b, 0, i, j, c, h, w)] as number);
    expect(ref.dW[0]).toBeCloseTo(dW0, 12);
    // x's last pixel is touched only by the last output pixel through the last kernel tap.
    let dxLast = 0;
    for (let oc = 0; oc < o; oc++)
      dxLast +=
        (data.g[at(n - 1, oc, ho - 1, wo - 1, o, ho, wo)] as number) *
        (data.w[at(oc, c - 1, kh - 1, kw - 1, c, kh, kw)] as number);
    expect(ref.dx[ref.dx.length - 1]).toBeCloseTo(dxLast, 12);

    const right = {
      y: Float32Array.from(ref.y),
      dx: Float32Array.from(ref.dx),
      dW: Float32Array.from(ref.dW),
    };
    expect(checkConv(SMALL_CONV, data, right).problems).toEqual([]);
    const dx = right.dx.slice();
    dx[5] = (dx[5] as number) + 1;
    expect(checkConv(SMALL_CONV, data, { ...right, dx }).problems).toEqual([
      expect.stringMatching(/^dx: relative L2 error .* > 0.001 against float64$/),
    ]);
    expect(checkConv(SMALL_CONV, data, { ...right, dW: right.dW.slice(1) }).problems).toEqual([
      `dW: expected ${right.dW.length} values, got ${right.dW.length - 1}`,
    ]);
  });

  it('times the WebAssembly SIMD peaks on conv2d only, checked bit for bit, in GFLOP/s', async () => {
    for (const lanes of ['f32x4', 'f64x2'] as const) {
      // The loop's arithmetic, as JavaScript computes it (the subject checks it when it opens).
      expect(Number.isFinite(expectedSum(lanes, 100))).toBe(true);
    }
    const shapes = [SMALL_CONV, { ...SMALL_CONV, batch: 3 }];
    const { report, rows } = await runConv('none', 'js,wasm-f32x4,wasm-f64x2', shapes);
    // ceiling:js has no conv2d: shown n/a; the wasm peaks run conv2d and nothing else.
    expect(rows.map((r) => [r.subject, r.op, r.size, r.label, r.status])).toEqual([
      [
        'ceiling:js',
        'conv2d',
        convStepFlops(shapes[0] as ConvShape),
        '3→4 3×2 on 7×6, batch 2',
        'n/a',
      ],
      [
        'ceiling:js',
        'conv2d',
        convStepFlops(shapes[1] as ConvShape),
        '3→4 3×2 on 7×6, batch 3',
        'n/a',
      ],
      ['ceiling:wasm-f32x4', 'conv2d', 21_600, '3→4 3×2 on 7×6, batch 2', 'ok'],
      ['ceiling:wasm-f32x4', 'conv2d', 32_400, '3→4 3×2 on 7×6, batch 3', 'ok'],
      ['ceiling:wasm-f64x2', 'conv2d', 21_600, '3→4 3×2 on 7×6, batch 2', 'ok'],
      ['ceiling:wasm-f64x2', 'conv2d', 32_400, '3→4 3×2 on 7×6, batch 3', 'ok'],
    ]);
    // Speed is the bench's to report, not a test's to assert (these machines are shared): only
    // that a figure came out, and that its summary is consistent.
    for (const r of rows.filter((row) => row.status === 'ok')) {
      expect(r.throughput).toBeGreaterThan(0);
      expect(Number.isFinite(r.throughput)).toBe(true);
      expect(r.minMs).toBeLessThanOrEqual(r.medianMs as number);
      expect(r.maxMs).toBeGreaterThanOrEqual(r.medianMs as number);
    }
    const md = markdownReport(report, null);
    expect(md).toMatch(/## Kernels: conv2d forward\+backward \(GFLOP\/s, × ceiling\)/);
    expect(md).toMatch(/^\| `ceiling:wasm-f32x4` +\| +[0-9.]+ \[[0-9.]+–[0-9.]+\] \|/m);
    expect(md).not.toMatch(/## Throughput/);
    expect(textTable(report)).toMatch(/conv2d forward\+backward \[cpu\] GFLOP\/s/);
  });

  it("runs tfjs's own conv2d and gradients as the tfjs ceiling, checked against float64", async () => {
    const { rows } = await runConv('none', 'tfjs,tfjs-wasm');
    expect(rows.map((r) => [r.subject, r.status, r.reason])).toEqual([
      ['ceiling:tfjs', 'ok', undefined],
      ['ceiling:tfjs-wasm', 'ok', undefined],
    ]);
    for (const row of rows) {
      const check = row.convCheck;
      expect(Math.max(check!.yRelError, check!.dxRelError, check!.dWRelError)).toBeLessThan(1e-5);
      expect(row.liveTensors).toBe(3);
    }
  });

  it("runs ONNX Runtime's Conv, ConvTranspose and Conv on transposes as the ORT ceiling", async () => {
    const { rows } = await runConv('none', 'ort');
    expect(rows.map((r) => [r.subject, r.status, r.reason])).toEqual([
      ['ceiling:ort', 'ok', undefined],
    ]);
    const check = rows[0]?.convCheck;
    expect(Math.max(check!.yRelError, check!.dxRelError, check!.dWRelError)).toBeLessThan(1e-5);
  });

  it.skipIf(pythonWithTorch === undefined)(
    "checks PyTorch's conv2d forward and backward against float64 (where Python has torch)",
    async () => {
      const { rows } = await runConv('none', 'torch,numpy', [SMALL_CONV], pythonWithTorch);
      expect(rows.map((r) => [r.subject, r.status])).toEqual([
        ['ceiling:torch', 'ok'],
        ['ceiling:numpy', 'n/a'],
      ]);
      const check = rows[0]?.convCheck;
      expect(Math.max(check!.yRelError, check!.dxRelError, check!.dWRelError)).toBeLessThan(1e-5);
    },
  );
});
