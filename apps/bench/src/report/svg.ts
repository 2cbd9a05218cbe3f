import type { BenchReport } from '../results.js';
import { formatSize, KERNEL_OPS, OP_LABEL, summaryGroups } from './format.js';

/** Colours that stay apart for up to ten series (Tableau 10). */
const COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';
/** `10⁶` for 1e6. */
const power = (exponent: number) =>
  `10${[...String(exponent)].map((d) => SUPERSCRIPT[Number(d)]).join('')}`;

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A log-log chart of throughput (elements/s) against size: one panel per device and operation,
 * one line per subject (ceilings dashed). Points exist only for timed, correct measurements.
 */
export function svgChart(report: BenchReport): string {
  const { groups } = summaryGroups(report.measurements);
  const subjects = [...new Set(groups.flatMap((g) => g.subjects.map((s) => s.id)))];
  // A ceiling takes the colour of the backend it is the ceiling of (dashed), so each pair reads as
  // one engine: how far the solid line sits below the dashed one is the ratio.
  const colour = new Map<string, string>();
  const next = () => COLOURS[colour.size % COLOURS.length] as string;
  for (const r of report.measurements) {
    if (r.role !== 'backend' || colour.has(r.subject)) continue;
    colour.set(r.subject, next());
    if (r.ceiling !== undefined && !colour.has(r.ceiling))
      colour.set(r.ceiling, colour.get(r.subject) as string);
  }
  for (const s of subjects) if (!colour.has(s)) colour.set(s, next());
  // Elements/s panels share one scale; kernel panels (FLOP/s) share another.
  const rateRange = (kernel: boolean) => {
    const rates = report.measurements
      .filter((r) => r.status === 'ok' && KERNEL_OPS.includes(r.op) === kernel)
      .map((r) => r.throughput as number);
    const [low, high] = kernel ? [1e9, 1e10] : [1e6, 1e7];
    return [
      10 ** Math.floor(Math.log10(Math.min(...rates, low))),
      10 ** Math.ceil(Math.log10(Math.max(...rates, high))),
    ] as const;
  };
  const ranges = { elements: rateRange(false), kernels: rateRange(true) };

  const panelW = 420;
  const panelH = 280;
  const margin = { left: 62, right: 16, top: 34, bottom: 42 };
  const cols = Math.min(2, groups.length);
  const rows = Math.ceil(groups.length / cols);
  const legendH = 24 + 18 * Math.ceil(subjects.length / 4);
  const width = cols * panelW;
  const height = rows * panelH + legendH + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(`illia-ts: throughput against size (log-log), ${report.machine.cpuModel}, ${report.machine.cores} cores`)}</text>`,
  ];
  groups.forEach((group, gi) => {
    const kernel = KERNEL_OPS.includes(group.op);
    const [minRate, maxRate] = kernel ? ranges.kernels : ranges.elements;
    const ox = (gi % cols) * panelW + margin.left;
    const oy = 30 + Math.floor(gi / cols) * panelH + margin.top;
    const w = panelW - margin.left - margin.right;
    const h = panelH - margin.top - margin.bottom;
    // Each panel spans its own sizes (the training step's are weight counts), to whole decades.
    const minSize = 10 ** Math.floor(Math.log10(Math.min(...group.sizes)));
    const maxSize = Math.max(10 ** Math.ceil(Math.log10(Math.max(...group.sizes))), minSize * 10);
    const x = (size: number) =>
      ox + (w * Math.log10(size / minSize)) / Math.log10(maxSize / minSize);
    const y = (rate: number) =>
      oy + h - (h * Math.log10(rate / minRate)) / Math.log10(maxRate / minRate);
    out.push(
      `<text x="${ox + w / 2}" y="${oy - 10}" text-anchor="middle" font-size="12" font-weight="600">${escapeXml(`${OP_LABEL[group.op]} [${group.device}]`)}</text>`,
      `<rect x="${ox}" y="${oy}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
    );
    for (let e = Math.log10(minRate); e <= Math.log10(maxRate) + 1e-9; e++) {
      const yy = y(10 ** e).toFixed(1);
      out.push(
        `<line x1="${ox}" x2="${ox + w}" y1="${yy}" y2="${yy}" stroke="#eee"/>`,
        `<text x="${ox - 4}" y="${yy}" text-anchor="end" dominant-baseline="middle">${power(e)}</text>`,
      );
    }
    for (const size of group.sizes) {
      const xx = x(size).toFixed(1);
      out.push(
        `<line x1="${xx}" x2="${xx}" y1="${oy}" y2="${oy + h}" stroke="#eee"/>`,
        `<text x="${xx}" y="${oy + h + 14}" text-anchor="middle">${formatSize(size)}</text>`,
      );
    }
    out.push(
      `<text x="${ox + w / 2}" y="${oy + h + 30}" text-anchor="middle" fill="#555">${group.op === 'trainStep' ? 'weights of the MLP' : group.op === 'trainCnn' ? 'weights of the CNN' : kernel ? 'FLOPs of a forward and backward pass (one per shape)' : 'elements'}</text>`,
      `<text transform="translate(${ox - 50} ${oy + h / 2}) rotate(-90)" text-anchor="middle" fill="#555">${kernel ? 'FLOP/s' : 'elements/s'}</text>`,
    );
    for (const s of group.subjects) {
      const points = s.cells
        .filter((c) => c?.status === 'ok')
        .map((c) => `${x(c?.size as number).toFixed(1)},${y(c?.throughput as number).toFixed(1)}`);
      if (points.length === 0) continue;
      const stroke = colour.get(s.id) as string;
      const dash = s.id.startsWith('ceiling:') ? ' stroke-dasharray="5 3"' : '';
      out.push(
        `<polyline points="${points.join(' ')}" fill="none" stroke="${stroke}" stroke-width="2"${dash}/>`,
      );
      for (const p of points) {
        const [px, py] = p.split(',');
        out.push(`<circle cx="${px}" cy="${py}" r="2.5" fill="${stroke}"/>`);
      }
    }
  });
  const legendY = 30 + rows * panelH + 10;
  subjects.forEach((s, i) => {
    const lx = 20 + (i % 4) * (width / 4);
    const ly = legendY + Math.floor(i / 4) * 18;
    const dash = s.startsWith('ceiling:') ? ' stroke-dasharray="5 3"' : '';
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${colour.get(s)}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${escapeXml(s)}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}
