import type { Measurement } from '../results.js';
import type { Operation } from '../subjects/types.js';

/** `1e6` for powers of ten (how sizes are passed on the command line), else the number. */
export function formatSize(n: number): string {
  const exp = Math.round(Math.log10(n));
  return n === 10 ** exp && exp >= 2 ? `1e${exp}` : String(n);
}

/** A duration in ms with a readable unit, three significant digits. */
export function formatTime(ms: number): string {
  if (ms < 1e-3) return `${(ms * 1e6).toPrecision(3)} ns`;
  if (ms < 1) return `${(ms * 1e3).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

/** Elements per second, in millions, three significant digits at most. */
export function formatRate(perSecond: number): string {
  const m = perSecond / 1e6;
  return m >= 100 ? m.toFixed(0) : m >= 1 ? m.toPrecision(3) : m.toPrecision(2);
}

/** The label tables use for an operation. */
export const OP_LABEL: Readonly<Record<Operation, string>> = {
  construct: 'construct',
  sample: 'sample',
  logProb: 'logProb',
  sampleLogProb: 'sample+logProb',
  trainStep: 'training step',
  trainCnn: 'CNN training step',
  conv2d: 'conv2d forward+backward',
};

/** Operations whose size is FLOPs, so whose throughput is shown in GFLOP/s (the kernels). */
export const KERNEL_OPS: readonly Operation[] = ['conv2d'];

/** GFLOP/s, three significant digits. */
export function formatGflops(flopsPerSecond: number): string {
  const g = flopsPerSecond / 1e9;
  return g >= 100 ? g.toFixed(0) : g >= 1 ? g.toPrecision(3) : g.toPrecision(2);
}

/** A row's throughput in its unit: GFLOP/s for a kernel, else M elements/s. */
export function formatThroughput(row: Measurement): string {
  const rate = row.throughput as number;
  return KERNEL_OPS.includes(row.op) ? formatGflops(rate) : formatRate(rate);
}

/**
 * A kernel row's range over its timed samples, in GFLOP/s: `[slowest–fastest]`, or '' where the
 * row has none.
 */
export function kernelRange(row: Measurement): string {
  if (row.minMs === undefined || row.maxMs === undefined) return '';
  const rate = (ms: number) => formatGflops(row.size / (ms / 1000));
  return `[${rate(row.maxMs)}–${rate(row.minMs)}]`;
}

/** How many rounds of a row were timed (1 for a row of a run before rounds). */
export function timedRounds(row: Measurement): number {
  return row.rounds?.filter((r) => r.status === 'ok').length ?? 1;
}

/** A ratio, and its range where it has one: `0.89× (0.78–0.90×)`, or `0.89×`. */
export function formatRatio(median: number, range?: readonly [number, number]): string {
  const text = `${median.toFixed(2)}×`;
  return range === undefined || range[0] === range[1]
    ? text
    : `${text} (${range[0].toFixed(2)}–${range[1].toFixed(2)}×)`;
}

/**
 * What a summary cell shows: throughput and ratio, or why there is none. Over several rounds,
 * the median round's throughput with the slowest and fastest round's, and the median of the
 * ratios within a round with the lowest and highest: `310 [295–320], 8.13× (7.93–8.30×)`. A
 * single round shows `310 (8.13×)`; a kernel's has its range over the repeats in brackets.
 */
export function summaryCell(row: Measurement | undefined): string {
  if (!row) return '';
  switch (row.status) {
    case 'ok': {
      if (timedRounds(row) > 1 && row.throughputRange !== undefined) {
        const [lo, hi] = row.throughputRange;
        const at = (rate: number) => formatThroughput({ ...row, throughput: rate });
        const ratio = row.ratio === undefined ? '' : `, ${formatRatio(row.ratio, row.ratioRange)}`;
        return `${at(row.throughput as number)} [${at(lo)}–${at(hi)}]${ratio}`;
      }
      const range = KERNEL_OPS.includes(row.op) ? kernelRange(row) : '';
      return `${formatThroughput(row)}${range ? ` ${range}` : ''}${row.ratio === undefined ? '' : ` (${row.ratio.toFixed(2)}×)`}`;
    }
    case 'wrong':
      return 'WRONG';
    case 'unavailable':
      return 'unavailable';
    case 'error':
      return 'error';
    case 'n/a':
      return 'n/a';
  }
}

/**
 * A device as headings name it: `webgpu, software GPU (SwiftShader)` where the machine line says
 * its adapter is one (see gpu.ts), so that nobody reads those times as GPU speed.
 */
export function deviceLabel(devices: Readonly<Record<string, string>>, device: string): string {
  const software = /adapter (\S+) \(a software GPU/.exec(devices[device] ?? '');
  return software ? `${device}, software GPU (${software[1]})` : device;
}

/** One summary table: a device and operation, its sizes, and each subject's row per size. */
export interface SummaryGroup {
  readonly device: string;
  readonly op: Operation;
  /** The sizes this operation ran at (the training step has its own). */
  readonly sizes: readonly number[];
  readonly subjects: { id: string; cells: (Measurement | undefined)[] }[];
}

/**
 * A column header: the size, and what it is where a row says (`79510 (784-100-10, batch 128)`);
 * for a kernel, what it is alone (`1→16 5×5 on 28×28, batch 64`: its size is FLOPs).
 */
export function sizeHeader(group: SummaryGroup, size: number): string {
  const label = group.subjects
    .flatMap((s) => s.cells)
    .find((c) => c?.size === size && c.label !== undefined)?.label;
  if (label === undefined) return formatSize(size);
  return KERNEL_OPS.includes(group.op) ? label : `${formatSize(size)} (${label})`;
}

/**
 * Rows grouped for the summary tables: per device and operation, subject → size → row. `sizes`
 * is every size of the run.
 */
export function summaryGroups(rows: readonly Measurement[]): {
  sizes: number[];
  groups: SummaryGroup[];
} {
  const subjects = [...new Set(rows.map((r) => r.subject))].sort(
    (a, b) => Number(a.startsWith('ceiling:')) - Number(b.startsWith('ceiling:')),
  );
  const sizes = [...new Set(rows.map((r) => r.size))].sort((a, b) => a - b);
  const devices = [...new Set(rows.map((r) => r.device))];
  const ops = [...new Set(rows.map((r) => r.op))];
  const groups: SummaryGroup[] = [];
  for (const device of devices) {
    for (const op of ops) {
      const here = rows.filter((r) => r.device === device && r.op === op);
      const ids = subjects.filter((s) => here.some((r) => r.subject === s));
      if (ids.length === 0) continue;
      const groupSizes = sizes.filter((size) => here.some((r) => r.size === size));
      groups.push({
        device,
        op,
        sizes: groupSizes,
        subjects: ids.map((id) => ({
          id,
          cells: groupSizes.map((size) => here.find((r) => r.subject === id && r.size === size)),
        })),
      });
    }
  }
  return { sizes, groups };
}

/** A summary table's rows of ratios to one rival (`ceiling:torch`): backend → size → cell. */
export interface RivalTable {
  readonly rival: string;
  readonly subjects: { id: string; cells: string[] }[];
}

/**
 * The backends' ratios to each rival timed in `group`: the median of the ratios within a round
 * and their range (`0.89× (0.78–0.90×)`); blank where the two share no timed round. A backend
 * whose ceiling is the rival is left out (its cell has the ratio).
 */
export function rivalTables(group: SummaryGroup): RivalTable[] {
  const rivals = [
    ...new Set(group.subjects.flatMap((s) => s.cells.flatMap((c) => Object.keys(c?.rivals ?? {})))),
  ];
  const tables = rivals.map((rival) => ({
    rival,
    subjects: group.subjects
      // A backend compared with the rival as its ceiling (trainCnn) has the ratio in its cell.
      .filter((s) => s.cells.some((c) => c?.rivals?.[rival] !== undefined && c.ceiling !== rival))
      .map((s) => ({
        id: s.id,
        cells: s.cells.map((c) => {
          const r = c?.rivals?.[rival];
          return r === undefined ? '' : formatRatio(r.median, [r.min, r.max]);
        }),
      })),
  }));
  return tables.filter((t) => t.subjects.length > 0);
}

/** The distinct reasons a subject could not be timed, for footnotes under the tables. */
export function problems(rows: readonly Measurement[]): string[] {
  const lines = new Set<string>();
  for (const r of rows) {
    if (r.status === 'ok') continue;
    const label = r.status === 'wrong' ? 'WRONG' : r.status;
    const at = KERNEL_OPS.includes(r.op) && r.label ? r.label : formatSize(r.size);
    const where = r.status === 'wrong' || r.status === 'error' ? ` at ${at}` : '';
    lines.add(`${r.subject} on ${r.device}${where}: ${label}: ${r.reason ?? ''}`);
  }
  return [...lines];
}
