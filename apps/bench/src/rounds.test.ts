import { describe, expect, it } from 'vitest';
import { parseArgs } from './options.js';
import { formatRatio, rivalTables, summaryCell, summaryGroups } from './report/format.js';
import { textTable } from './report/table.js';
import type { BenchReport, Measurement } from './results.js';
import {
  addRatios,
  combineRounds,
  pairedRatios,
  rotation,
  Scheduler,
  type Step,
  summarise,
} from './rounds.js';

/** One round's `ok` row of `subject` at throughput `rate` (size 1e6, sample, cpu). */
function roundRow(subject: string, round: number, rate: number, extra = {}): Measurement {
  const ms = 1e6 / rate / 1e-3;
  return {
    subject,
    role: subject.startsWith('ceiling:') ? 'ceiling' : 'backend',
    ...(subject.startsWith('ceiling:') ? {} : { ceiling: 'ceiling:js' }),
    device: 'cpu',
    op: 'sample',
    size: 1e6,
    status: 'ok',
    round,
    samples: 5,
    batch: 1,
    medianMs: ms,
    p10Ms: ms * 0.9,
    p90Ms: ms * 1.1,
    minMs: ms * 0.8,
    maxMs: ms * 1.2,
    throughput: rate,
    peakRssMiB: 100 + round,
    liveTensors: 3,
    ...extra,
  };
}

/**
 * Drives a {@link Scheduler} with workers that each take `steps` in order (as a job's gates), and
 * returns who went at each timed step, as `worker@cell.round`.
 */
function simulate(steps: readonly (readonly Step[])[]): string[] {
  const scheduler = new Scheduler(steps.length);
  const at = steps.map(() => 0);
  const arrive = (w: number) => {
    const step = steps[w]?.[at[w] as number];
    if (step === undefined) scheduler.done(w);
    else scheduler.wait(w, step);
  };
  // Every worker opens its session, then waits at its first step.
  for (let w = 0; w < steps.length; w++) arrive(w);
  const log: string[] = [];
  for (let next = scheduler.next(); next !== undefined; next = scheduler.next()) {
    const { worker, step } = next;
    expect(steps[worker]?.[at[worker] as number]).toEqual(step);
    // Nobody else may go while this one works.
    expect(scheduler.next()).toBeUndefined();
    if (step.phase >= 0) log.push(`${worker}@${step.cell}.${step.phase}`);
    at[worker] = (at[worker] as number) + 1;
    arrive(worker);
  }
  expect(scheduler.finished).toBe(true);
  return log;
}

/** A job's steps: prepare then `rounds` rounds of each cell. */
const cells = (list: readonly number[], rounds: number): Step[] =>
  list.flatMap((cell) => [
    { cell, phase: -1 },
    ...Array.from({ length: rounds }, (_, phase) => ({ cell, phase })),
  ]);

describe('rounds', () => {
  it('rotates the order so that round r starts at subject r mod k', () => {
    expect(rotation(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotation(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotation(['a', 'b', 'c'], 2)).toEqual(['c', 'a', 'b']);
    expect(rotation(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
    expect(rotation([], 3)).toEqual([]);
  });

  it('has subjects take each cell in turns, one at a time, rotating from round to round', () => {
    const log = simulate([cells([0, 1], 3), cells([0, 1], 3), cells([0, 1], 3)]);
    expect(log).toEqual([
      ...['0@0.0', '1@0.0', '2@0.0', '1@0.1', '2@0.1', '0@0.1', '2@0.2', '0@0.2', '1@0.2'],
      ...['0@1.0', '1@1.0', '2@1.0', '1@1.1', '2@1.1', '0@1.1', '2@1.2', '0@1.2', '1@1.2'],
    ]);
    // No subject is always first or always last of a round.
    const firsts = new Set(log.filter((_, i) => i % 3 === 0).map((e) => e.split('@')[0]));
    const lasts = new Set(log.filter((_, i) => i % 3 === 2).map((e) => e.split('@')[0]));
    expect(firsts.size).toBe(3);
    expect(lasts.size).toBe(3);
  });

  it('rotates among the subjects that time a cell, skipping those that do not', () => {
    // Worker 1 has no cell 0 (wrong, n/a); worker 2 stops after round 0 of cell 0 (an error).
    const log = simulate([
      cells([0, 1], 2),
      cells([1], 2),
      [
        { cell: 0, phase: -1 },
        { cell: 0, phase: 0 },
        { cell: 1, phase: -1 },
        { cell: 1, phase: 0 },
        { cell: 1, phase: 1 },
      ],
    ]);
    expect(log).toEqual(
      ['0@0.0', '2@0.0', '0@0.1'].concat(['0@1.0', '1@1.0', '2@1.0', '1@1.1', '2@1.1', '0@1.1']),
    );
  });

  it('gives the median and range, the median of an even count halfway', () => {
    expect(summarise([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(summarise([4, 1, 2, 10])).toEqual({ median: 3, min: 1, max: 10 });
    expect(summarise([0.5])).toEqual({ median: 0.5, min: 0.5, max: 0.5 });
  });

  it("combines a cell's rounds into one row, keeping each round's figures", () => {
    const rows = combineRounds([
      roundRow('cpu', 0, 300, { turn: 1 }),
      roundRow('cpu', 1, 100, { turn: 0 }),
      roundRow('cpu', 2, 200, { turn: 2 }),
    ]);
    expect(rows).toHaveLength(1);
    const [row] = rows as [Measurement];
    expect(row.throughput).toBe(200);
    expect(row.throughputRange).toEqual([100, 300]);
    expect(row.medianMs).toBeCloseTo(1e6 / 200 / 1e-3, 6);
    expect(row.samples).toBe(15);
    expect(row.peakRssMiB).toBe(102);
    expect(row.round).toBeUndefined();
    expect(
      row.rounds?.map((r) => (r.status === 'ok' ? [r.round, r.turn, r.throughput] : [])),
    ).toEqual([
      [0, 1, 300],
      [1, 0, 100],
      [2, 2, 200],
    ]);
  });

  it('keeps the timed rounds of a cell whose later round failed, and why', () => {
    const rows = combineRounds([
      roundRow('cpu', 0, 300),
      { ...roundRow('cpu', 1, 1), status: 'error', reason: 'boom' },
    ]);
    expect(rows[0]).toMatchObject({ status: 'ok', throughput: 300, throughputRange: [300, 300] });
    expect(rows[0]?.rounds?.[1]).toEqual({ round: 1, status: 'error', reason: 'boom' });
    // A row of a run before rounds passes unchanged.
    const { round: _, ...old } = roundRow('cpu', 0, 5);
    expect(combineRounds([old])).toEqual([old]);
  });

  it('takes each ratio within a round, not as a ratio of medians', () => {
    // cpu is fastest in round 0, when the machine was quiet for the ceiling too.
    const rows = combineRounds(
      [
        [100, 50],
        [60, 60],
        [80, 100],
      ].flatMap(([cpu, js], round) => [
        roundRow('cpu', round, cpu as number),
        roundRow('ceiling:js', round, js as number),
        roundRow('ceiling:torch', round, (js as number) * 2),
      ]),
    );
    addRatios(rows);
    const cpu = rows.find((r) => r.subject === 'cpu') as Measurement;
    expect(pairedRatios(cpu, rows[1] as Measurement)).toEqual([2, 1, 0.8]);
    // Within rounds: 2, 1 and 0.8, median 1; the ratio of medians would be 80/60 = 1.33.
    expect(cpu.ratio).toBe(1);
    expect(cpu.ratioRange).toEqual([0.8, 2]);
    expect(cpu.rivals).toEqual({ 'ceiling:torch': { median: 0.5, min: 0.4, max: 1, rounds: 3 } });
    // Ceilings get no ratio to the rivals.
    expect(rows.find((r) => r.subject === 'ceiling:js')?.rivals).toBeUndefined();
  });

  it('pairs only rounds that both timed', () => {
    const rows = combineRounds([
      roundRow('cpu', 0, 100),
      roundRow('cpu', 1, 100),
      roundRow('cpu', 2, 100),
      roundRow('ceiling:js', 0, 50),
      { ...roundRow('ceiling:js', 1, 1), status: 'error', reason: 'crashed' },
      roundRow('ceiling:js', 2, 25),
    ]);
    expect(pairedRatios(rows[0] as Measurement, rows[1] as Measurement)).toEqual([2, 4]);
  });

  it('shows the median with its range over rounds, and the ratio within rounds with its', () => {
    expect(formatRatio(0.891, [0.78, 0.9])).toBe('0.89× (0.78–0.90×)');
    expect(formatRatio(0.891)).toBe('0.89×');
    const rows = combineRounds(
      [
        [100, 50],
        [60, 60],
        [80, 100],
      ].flatMap(([cpu, torch], round) => [
        roundRow('cpu', round, (cpu as number) * 1e6),
        roundRow('ceiling:torch', round, (torch as number) * 1e6),
      ]),
    );
    addRatios(rows);
    expect(summaryCell(rows[0])).toBe('80.0 [60.0–100]');
    const { groups } = summaryGroups(rows);
    expect(rivalTables(groups[0]!)).toEqual([
      { rival: 'ceiling:torch', subjects: [{ id: 'cpu', cells: ['1.00× (0.80–2.00×)'] }] },
    ]);
    // Where the rival is the backend's ceiling (trainCnn), its cell has the ratio: no table.
    const asCeiling = rows.map((r) =>
      r.role === 'backend' ? { ...r, ceiling: 'ceiling:torch', rivals: r.rivals } : r,
    );
    expect(rivalTables(summaryGroups(asCeiling).groups[0]!)).toEqual([]);
    const report = {
      tool: '@illia-ts/bench',
      date: '2026-11-30T12:00:00Z',
      machine: { cpuModel: 'test', cores: 2, node: 'v20', devices: {} },
      options: { rounds: 3 },
      unavailable: [],
      measurements: rows,
    } as unknown as BenchReport;
    const text = textTable(report);
    expect(text).toMatch(/3 rounds, subjects in turns that rotate/);
    expect(text).toMatch(/^ {2}cpu +1\.00× \(0\.80–2\.00×\)$/m);
  });

  it('names --rounds, what it expects and what came, when its argument is not a count', () => {
    expect(parseArgs([], '/')).toMatchObject({ options: { rounds: 3 } });
    expect(parseArgs(['--rounds', '5'], '/')).toMatchObject({ options: { rounds: 5 } });
    for (const bad of ['0', '-1', '2.5', 'three', '']) {
      expect(() => parseArgs(['--rounds', bad], '/')).toThrow(
        `--rounds: expected an integer from 1 to 1000, got '${bad}'`,
      );
    }
    expect(() => parseArgs(['--rounds'], '/')).toThrow('--rounds: expected a value, got nothing');
  });
});
