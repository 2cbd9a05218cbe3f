/**
 * Rounds (`--rounds N`): every subject times each cell once per round, subjects taking turns in
 * an order that rotates from round to round, so that a noisy minute falls on every subject alike
 * and no subject always runs first or last. A ratio is taken within a round (the subject and the
 * subject it is compared with measured minutes apart at most), then summarised over rounds as a
 * median and a range.
 */
import type { Measurement, RatioSummary, RoundFigure } from './results.js';
import { quantile } from './stats.js';

/** The rivals every backend is also compared with, beside its own ceiling. */
export const RIVALS: readonly string[] = ['ceiling:torch', 'ceiling:numpy'];

/**
 * The order in which `participants` take round `round`: the list rotated so that round r starts
 * at participant r mod k (round 0 is the list as given).
 */
export function rotation<T>(participants: readonly T[], round: number): T[] {
  const k = participants.length;
  if (k === 0) return [];
  const start = ((round % k) + k) % k;
  return [...participants.slice(start), ...participants.slice(0, start)];
}

/** Median and range of `values` (not empty). */
export function summarise(values: readonly number[]): RatioSummary {
  return { median: quantile(values, 0.5), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * Where a worker waits: before preparing a cell (`phase` −1: its workload and float64 check) or
 * before timing round `phase` of it. `cell` is the cell's place in the run's order.
 */
export interface Step {
  readonly cell: number;
  readonly phase: number;
}

/**
 * Decides which worker goes next so that only one works at a time, and in what order. Workers
 * report where they wait ({@link wait}) or that they are done ({@link done}); {@link next} picks
 * one only when none is working: the one waiting at the earliest step; at a round of a cell,
 * among those waiting there, the first in the cell's participants (those at its round 0, in
 * worker order) rotated by the round.
 */
export class Scheduler {
  readonly #waiting = new Map<number, Step>();
  readonly #working = new Set<number>();
  readonly #participants = new Map<number, number[]>();

  /** `workers` workers, numbered from 0, all working (opening their sessions) at first. */
  constructor(workers: number) {
    for (let w = 0; w < workers; w++) this.#working.add(w);
  }

  wait(worker: number, step: Step): void {
    this.#working.delete(worker);
    this.#waiting.set(worker, step);
  }

  done(worker: number): void {
    this.#working.delete(worker);
    this.#waiting.delete(worker);
  }

  /** Whether every worker is done. */
  get finished(): boolean {
    return this.#working.size === 0 && this.#waiting.size === 0;
  }

  /**
   * The worker to go now (it is then working) and the step it goes to, or undefined while one
   * works or none waits.
   */
  next(): { worker: number; step: Step } | undefined {
    if (this.#working.size > 0 || this.#waiting.size === 0) return undefined;
    const steps = [...this.#waiting.values()];
    const cell = Math.min(...steps.map((s) => s.cell));
    const phase = Math.min(...steps.filter((s) => s.cell === cell).map((s) => s.phase));
    const here = [...this.#waiting]
      .filter(([, s]) => s.cell === cell && s.phase === phase)
      .map(([w]) => w)
      .sort((a, b) => a - b);
    let chosen = here[0] as number;
    if (phase >= 0) {
      // Everyone who times this cell waits at its round 0 when the first of them goes.
      if (phase === 0 && !this.#participants.has(cell)) this.#participants.set(cell, here);
      const order = rotation(this.#participants.get(cell) ?? here, phase);
      chosen = order.find((w) => here.includes(w)) ?? chosen;
    }
    this.#waiting.delete(chosen);
    this.#working.add(chosen);
    return { worker: chosen, step: { cell, phase } };
  }
}

const key = (r: Pick<Measurement, 'subject' | 'device' | 'op' | 'size'>) =>
  `${r.subject}|${r.device}|${r.op}|${r.size}`;

/**
 * One row per (subject, device, operation, size) from the rows of each round: throughput and
 * time are medians over the rounds that were timed, with the throughput's range, and `rounds`
 * keeps each round's figures. A cell no round of which was timed keeps its first row (its
 * reason). Rows without a round (a single measurement, an earlier run) pass unchanged.
 */
export function combineRounds(rows: readonly Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const row of rows) {
    const k = key(row);
    groups.set(k, [...(groups.get(k) ?? []), row]);
  }
  const out: Measurement[] = [];
  for (const group of groups.values()) {
    const first = group[0] as Measurement;
    if (group.every((r) => r.round === undefined)) {
      out.push(...group);
      continue;
    }
    const rounds: RoundFigure[] = group
      .filter((r) => r.round !== undefined)
      .map(
        (r): RoundFigure =>
          r.status === 'ok'
            ? {
                round: r.round as number,
                status: 'ok' as const,
                ...(r.turn === undefined ? {} : { turn: r.turn }),
                medianMs: r.medianMs as number,
                p10Ms: r.p10Ms as number,
                p90Ms: r.p90Ms as number,
                minMs: r.minMs as number,
                maxMs: r.maxMs as number,
                samples: r.samples as number,
                batch: r.batch as number,
                throughput: r.throughput as number,
              }
            : { round: r.round as number, status: r.status, reason: r.reason ?? '' },
      )
      .sort((a, b) => a.round - b.round);
    const ok = group.filter((r) => r.status === 'ok' && r.round !== undefined);
    const {
      round: _round,
      turn: _turn,
      ...base
    } = ok.find((r) => r.throughput !== undefined) ?? first;
    if (ok.length === 0) {
      out.push({ ...base, rounds });
      continue;
    }
    const of = (field: 'medianMs' | 'p10Ms' | 'p90Ms' | 'throughput') =>
      ok.map((r) => r[field] as number);
    const throughput = summarise(of('throughput'));
    const peak = ok.map((r) => r.peakRssMiB).filter((v): v is number => v !== undefined);
    out.push({
      ...base,
      status: 'ok',
      medianMs: quantile(of('medianMs'), 0.5),
      p10Ms: quantile(of('p10Ms'), 0.5),
      p90Ms: quantile(of('p90Ms'), 0.5),
      minMs: Math.min(...ok.map((r) => r.minMs as number)),
      maxMs: Math.max(...ok.map((r) => r.maxMs as number)),
      samples: ok.reduce((n, r) => n + (r.samples as number), 0),
      throughput: throughput.median,
      throughputRange: [throughput.min, throughput.max],
      ...(peak.length === 0 ? {} : { peakRssMiB: Math.max(...peak) }),
      liveTensors: (ok[ok.length - 1] as Measurement).liveTensors ?? null,
      rounds,
    });
  }
  return out;
}

/**
 * The ratios of `row` to `other` (same device, operation and size), one per round that both
 * timed; a row without rounds pairs as one round. Empty where they share no timed round.
 */
export function pairedRatios(row: Measurement, other: Measurement): number[] {
  const figures = (r: Measurement): Map<number, number> => {
    if (r.status !== 'ok') return new Map();
    if (r.rounds === undefined)
      return r.throughput ? new Map([[0, r.throughput]]) : new Map<number, number>();
    return new Map(
      r.rounds.flatMap((f) => (f.status === 'ok' && f.throughput ? [[f.round, f.throughput]] : [])),
    );
  };
  const mine = figures(row);
  const theirs = figures(other);
  const ratios: number[] = [];
  for (const [round, throughput] of [...mine].sort((a, b) => a[0] - b[0])) {
    const against = theirs.get(round);
    if (against !== undefined) ratios.push(throughput / against);
  }
  return ratios;
}

/**
 * Sets each backend row's ratio to its ceiling (the median over rounds of the ratio within a
 * round, with its range and each round's in `rounds`) and to each rival present in the cell.
 */
export function addRatios(rows: Measurement[]): void {
  const byKey = new Map(rows.map((r) => [key(r), r]));
  const find = (subject: string, r: Measurement) => byKey.get(key({ ...r, subject }));
  for (const row of rows) {
    if (row.status !== 'ok') continue;
    if (row.ceiling !== undefined) {
      const ceiling = find(row.ceiling, row);
      const ratios = ceiling ? pairedRatios(row, ceiling) : [];
      if (ratios.length > 0) {
        const s = summarise(ratios);
        row.ratio = s.median;
        if (row.rounds !== undefined) row.ratioRange = [s.min, s.max];
      }
    }
    if (row.role !== 'backend') continue;
    const rivals: Record<string, RatioSummary> = {};
    for (const rival of RIVALS) {
      const other = find(rival, row);
      const ratios = other ? pairedRatios(row, other) : [];
      if (ratios.length > 0) rivals[rival] = { ...summarise(ratios), rounds: ratios.length };
    }
    if (Object.keys(rivals).length > 0) row.rivals = rivals;
  }
}
