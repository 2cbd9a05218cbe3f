import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, runBench, writeReports } from './index.js';
import type { BenchReport } from './results.js';
import { parseSubjectId } from './subjects/illia.js';
import { checkTraining, trainBatch, trainReference } from './train-reference.js';

const dir = await mkdtemp(join(tmpdir(), 'illia-bench-'));

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
        .concat(['--max-seconds', '0.05', '--in-process', '--json', 'none', '--md', 'none']),
      dir,
    );
    if (parsed.help) throw new Error('unexpected --help');
    return (await runBench(parsed.options)).measurements;
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
    // 2 sizes, and the training step at 1 hidden width.
    expect(json.measurements).toHaveLength(6 * (2 * 4 + 1));
    const cpu = json.measurements.filter((m) => m.subject.startsWith('cpu'));
    // Reasons, not just a boolean, when a row is not ok.
    expect(cpu.filter((m) => m.status !== 'ok').map((m) => m.reason)).toEqual([]);
    expect(cpu.every((m) => m.throughput! > 0)).toBe(true);
    const gaussian = cpu.filter((m) => m.op !== 'trainStep');
    expect(gaussian.every((m) => m.check!.relError <= 1e-4)).toBe(true);
    // The training step: 784-4-10 has 3190 weights; checked against float64 before timing.
    const train = cpu.filter((m) => m.op === 'trainStep');
    expect(train.map((m) => [m.size, m.label])).toEqual(Array(3).fill([3190, '784-4-10, batch 8']));
    for (const m of train) {
      expect(m.trainCheck!.gradRelError).toBeLessThanOrEqual(1e-3);
      expect(m.trainCheck!.lastLoss).toBeLessThan(m.trainCheck!.firstLoss);
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
  }, 30_000);

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
    expect(() => parseArgs(['--backends', 'cpu:fast'], '/')).toThrow(
      /--backends: subject 'cpu:fast': expected NAME\[:Nthreads\]\[:composed\].*got modifier 'fast'/,
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
});
