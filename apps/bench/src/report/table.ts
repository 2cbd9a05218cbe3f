import type { BenchReport } from '../results.js';
import {
  deviceLabel,
  KERNEL_OPS,
  OP_LABEL,
  problems,
  rivalTables,
  sizeHeader,
  summaryCell,
  summaryGroups,
} from './format.js';

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
    .join('  ');
}

/**
 * The stdout table: per device and operation, M elements/s at the median for each subject and
 * size, with the backend's ratio to its ceiling in parentheses.
 */
export function textTable(report: BenchReport): string {
  const { groups } = summaryGroups(report.measurements);
  const m = report.machine;
  const out: string[] = [
    `illia-ts bench: ${m.cpuModel}, ${m.cores} cores, Node ${m.node}`,
    'M elements/s at the median (backend ÷ its ceiling); WRONG = failed the float64 check, not timed',
    'training step: size = weights of the MLP (input-hidden-classes, batch), M weights/s; no ceiling',
  ];
  const rounds = report.options.rounds as number | undefined;
  if (rounds !== undefined && rounds > 1) {
    out.push(
      `${rounds} rounds, subjects in turns that rotate: median [slowest–fastest round], ratio = median of the ratios within a round (lowest–highest)`,
    );
  }
  for (const device of new Set(groups.map((g) => g.device))) {
    if (device !== 'cpu' && m.devices[device]) out.push(`${device}: ${m.devices[device]}`);
  }
  if (groups.some((g) => KERNEL_OPS.includes(g.op))) {
    out.push(
      `conv2d: GFLOP/s of forward + dx + dW (3 × 2·N·O·Ho·Wo·C·kh·kw FLOPs) [slowest–fastest ${rounds !== undefined && rounds > 1 ? 'round' : 'sample'}]`,
    );
  }
  for (const group of groups) {
    const unit = KERNEL_OPS.includes(group.op) ? ' GFLOP/s' : '';
    const header = [
      `${OP_LABEL[group.op]} [${deviceLabel(m.devices, group.device)}]${unit}`,
      ...group.sizes.map((size) => sizeHeader(group, size)),
    ];
    const body = group.subjects.map((s) => [s.id, ...s.cells.map(summaryCell)]);
    const widths = header.map((h, i) =>
      Math.max(h.length, ...body.map((r) => (r[i] as string).length)),
    );
    out.push('', pad(header, widths), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of body) out.push(pad(row, widths));
    for (const { rival, subjects } of rivalTables(group)) {
      const rivalHeader = [`  × ${rival}`, ...header.slice(1)];
      const rivalBody = subjects.map((s) => [`  ${s.id}`, ...s.cells]);
      const w = rivalHeader.map((h, i) =>
        Math.max(h.length, ...rivalBody.map((r) => (r[i] as string).length)),
      );
      out.push('', pad(rivalHeader, w));
      for (const row of rivalBody) out.push(pad(row, w));
    }
  }
  const notes = problems(report.measurements);
  const failedPackages = report.unavailable
    .filter((u) => !report.measurements.some((r) => r.subject === u.subject))
    .map((u) => `${u.subject} on ${u.device}: unavailable: ${u.reason}`);
  if (notes.length + failedPackages.length > 0) out.push('', ...failedPackages, ...notes);
  return `${out.join('\n')}\n`;
}
