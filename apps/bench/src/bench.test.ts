import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, runBench, writeReports } from './index.js';
import type { BenchReport } from './results.js';

const dir = await mkdtemp(join(tmpdir(), 'illia-bench-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('bench', () => {
  it('runs end to end on tiny sizes and writes valid JSON, Markdown and SVG', async () => {
    const parsed = parseArgs(
      [
        '--backends',
        'cpu,cpu:composed,no-such-backend',
        '--ceilings',
        'js,ort',
        '--sizes',
        '10,100',
        '--repeats',
        '2',
        '--warmup',
        '1',
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
    // Every subject, size and operation has a row, whatever its status.
    expect(json.measurements).toHaveLength(5 * 2 * 4);
    const cpu = json.measurements.filter((m) => m.subject === 'cpu');
    // Reasons, not just a boolean, when a row is not ok.
    expect(cpu.filter((m) => m.status !== 'ok').map((m) => m.reason)).toEqual([]);
    expect(cpu.every((m) => m.throughput! > 0)).toBe(true);
    expect(cpu.every((m) => m.check!.relError <= 1e-4)).toBe(true);
    // A backend that is not installed is reported, not a crash.
    expect(json.unavailable.map((u) => u.subject)).toContain('no-such-backend');
    expect(await readFile(join(dir, 'bench.md'), 'utf8')).toMatch(/^\| `cpu` +\|/m);
    expect(await readFile(join(dir, 'bench.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  }, 30_000);

  it('names the argument, what it expects and what came', () => {
    expect(() => parseArgs(['--sizes', '1e2,abc'], '/')).toThrow(
      "--sizes: expected positive integers up to 2^30 such as 1e2,1e4, got 'abc'",
    );
    expect(() => parseArgs(['--ops', 'train'], '/')).toThrow(
      /--ops: expected some of .*got 'train'/,
    );
    expect(() => parseArgs(['--device', 'tpu'], '/')).toThrow(/--device: .*got 'tpu'/);
    expect(() => parseArgs(['--bogus'], '/')).toThrow(/unknown argument '--bogus'/);
  });
});
