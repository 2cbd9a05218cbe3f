import { CONV_TOLERANCE } from '../conv-reference.js';
import type { BenchReport, Measurement } from '../results.js';
import { CHECK_STEPS } from '../subjects/illia.js';
import { OPERATIONS } from '../subjects/types.js';
import { CHAINS } from '../subjects/wasm-simd.js';

const CHECK_STEPS_TEXT = `the loss must be finite and fall over its first ${CHECK_STEPS} training steps on the batch`;

import {
  deviceLabel,
  formatRatio,
  formatSize,
  formatThroughput,
  formatTime,
  KERNEL_OPS,
  OP_LABEL,
  problems,
  rivalTables,
  type SummaryGroup,
  sizeHeader,
  summaryCell,
  summaryGroups,
  timedRounds,
} from './format.js';

/**
 * A Markdown table laid out as Biome formats it (columns padded to their widest cell, the first
 * `leftColumns` left-aligned, the rest right-aligned), so a committed report passes `npm run lint` as written.
 */
function table(
  header: readonly string[],
  body: readonly (readonly string[])[],
  leftColumns = 1,
): string[] {
  const widths = header.map((h, i) =>
    Math.max(3, h.length, ...body.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (i < leftColumns ? (cells[i] ?? '').padEnd(w) : (cells[i] ?? '').padStart(w))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i < leftColumns ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...body.map(line)];
}

function detailRow(r: Measurement): string[] {
  const ok = r.status === 'ok';
  return [
    r.subject,
    r.device,
    OP_LABEL[r.op],
    formatSize(r.size),
    ok ? formatTime(r.medianMs as number) : r.status === 'wrong' ? '**WRONG**' : r.status,
    ok ? `${formatTime(r.p10Ms as number)} – ${formatTime(r.p90Ms as number)}` : '',
    ok
      ? `${formatThroughput(r)}${r.throughputRange && timedRounds(r) > 1 ? ` [${formatThroughput({ ...r, throughput: r.throughputRange[0] })}–${formatThroughput({ ...r, throughput: r.throughputRange[1] })}]` : ''}${KERNEL_OPS.includes(r.op) ? ' GFLOP/s' : ''}`
      : '',
    r.ratio === undefined ? '' : formatRatio(r.ratio, r.ratioRange),
    ok ? (r.rounds === undefined ? '' : String(timedRounds(r))) : '',
    ok ? `${r.samples}×${r.batch}` : '',
    r.peakRssMiB === undefined ? '' : r.peakRssMiB.toFixed(0),
    r.liveTensors === undefined || r.liveTensors === null ? '' : String(r.liveTensors),
    r.check
      ? r.check.relError.toExponential(1)
      : r.trainCheck
        ? r.trainCheck.gradRelError.toExponential(1)
        : r.convCheck
          ? Math.max(
              r.convCheck.yRelError,
              r.convCheck.dxRelError,
              r.convCheck.dWRelError,
            ).toExponential(1)
          : '',
  ];
}

/**
 * How time grows with size between neighbouring sizes: the exponent b of `time ∝ size^b`. 1.00 is
 * linear; below 1, fixed per-call costs still dominate; above 1, something stops scaling (caches,
 * memory, a slower path).
 */
function scalingSection(report: BenchReport): string[] {
  const { groups } = summaryGroups(report.measurements);
  // One table per list of sizes (the Gaussian operations share one; the training step has its own).
  const bySizes = new Map<string, SummaryGroup[]>();
  for (const group of groups) {
    // A kernel's shapes are not one workload growing: no exponent between them.
    if (group.sizes.length < 2 || KERNEL_OPS.includes(group.op)) continue;
    const key = group.sizes.join(',');
    bySizes.set(key, [...(bySizes.get(key) ?? []), group]);
  }
  if (bySizes.size === 0) return [];
  const out = [
    '',
    '## Scaling',
    '',
    'Exponent b of time ∝ size^b between neighbouring sizes: 1.00 is linear; below 1, per-call overhead still dominates; above 1, scaling stops there.',
  ];
  for (const sameSizes of bySizes.values()) {
    const sizes = (sameSizes[0] as SummaryGroup).sizes;
    const pairs = sizes.slice(1).map((s, i) => [sizes[i] as number, s] as const);
    const body: string[][] = [];
    for (const group of sameSizes) {
      for (const subject of group.subjects) {
        const cells = pairs.map((_, i) => {
          const a = subject.cells[i];
          const b = subject.cells[i + 1];
          if (a?.status !== 'ok' || b?.status !== 'ok') return '';
          const exponent =
            Math.log((b.medianMs as number) / (a.medianMs as number)) / Math.log(b.size / a.size);
          return exponent.toFixed(2);
        });
        // A row of blanks says nothing (a ceiling without a training step).
        if (cells.every((c) => c === '')) continue;
        body.push([`\`${subject.id}\``, `${OP_LABEL[group.op]} [${group.device}]`, ...cells]);
      }
    }
    if (body.length === 0) continue;
    out.push(
      '',
      ...table(['', '', ...pairs.map(([a, b]) => `${formatSize(a)}→${formatSize(b)}`)], body, 2),
    );
  }
  return out;
}

/** Whether the report's cells are over several rounds. */
function manyRounds(report: BenchReport): boolean {
  return ((report.options.rounds as number | undefined) ?? 1) > 1;
}

/** What the report says of its rounds: a paragraph and a blank line, or nothing for one round. */
function roundsText(report: BenchReport): string[] {
  if (!manyRounds(report)) return [];
  const rounds = report.options.rounds as number;
  const alternated = report.options.isolate !== false;
  return [
    `Every cell was timed in ${rounds} rounds: ${alternated ? 'in each round every subject measured it once (warm-up and timed samples as above), in turns whose order rotates from round to round (round r starts at the r-th subject), so no subject always runs first or last and a noisy minute falls on all alike' : 'each subject measured it once per round, its rounds one after another (one process, no turns)'}. A cell is the median round's throughput with the slowest and fastest round's in brackets, then the ratio: the median of the ratios taken within a round (a subject and its ceiling timed in the same round), with the lowest and highest in parentheses — \`0.89× (0.78–0.90×)\`. Under each table, where PyTorch or numpy ran, the backends' ratios to them, taken the same way. The JSON keeps each round's figures (\`rounds\`).`,
    '',
  ];
}

/** A group's summary table, then a table of the backends' ratios to each rival timed in it. */
function groupTables(group: SummaryGroup): string[] {
  const sizes = group.sizes.map((size) => sizeHeader(group, size));
  const out = table(
    ['', ...sizes],
    group.subjects.map((s) => [`\`${s.id}\``, ...s.cells.map(summaryCell)]),
  );
  for (const { rival, subjects } of rivalTables(group)) {
    out.push(
      '',
      ...table(
        [`× \`${rival}\``, ...sizes],
        subjects.map((s) => [`\`${s.id}\``, ...s.cells]),
      ),
    );
  }
  return out;
}

/**
 * The Markdown report: where it ran, summary tables (as on stdout), the chart, every measurement
 * in detail, and what could not be measured and why. `svgLink` is the chart's path relative to
 * the Markdown file, or null for no chart.
 */
export function markdownReport(report: BenchReport, svgLink: string | null): string {
  const m = report.machine;
  const { groups } = summaryGroups(report.measurements);
  const timing = report.options.timing as {
    warmup: number;
    /** Absent in reports written before the option existed. */
    warmupMs?: number;
    repeats: number;
    minSampleMs: number;
    maxSeconds: number;
  };
  const out: string[] = [
    '# illia-ts benchmarks',
    '',
    `Run of ${report.date.slice(0, 16).replace('T', ' ')} UTC by \`@illia-ts/bench\` on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node} (V8 ${m.v8}).`,
  ];
  if (report.note) out.push('', report.note);
  out.push(
    '',
    `Devices: ${Object.entries(m.devices)
      .map(([d, what]) => `**${d}**: ${what}`)
      .join('; ')}.`,
    '',
    `Packages: ${Object.entries(m.packages)
      .map(([p, v]) => `\`${p}\` ${v}`)
      .join(', ')}.`,
    '',
    '## How to read it',
    '',
    `Each cell is millions of elements per second (on the kernels page, GFLOP/s) at the median time of one call, measured until the result is readable (\`await t.data()\`). A backend's ratio to its ceiling — the same math written directly on the same engine — is in parentheses: tfjs backends against tfjs, onnx against one hand-fused ONNX Runtime graph, the others against a plain JavaScript loop (one thread). \`ceiling:torch\` and \`ceiling:numpy\` are no backend's ceiling: the same operations in PyTorch and numpy, the rivals, run where Python has them. Each measurement: ${timing.warmup} warm-up runs${timing.warmupMs ? ` and at least ${timing.warmupMs} ms of them (V8 optimises small calls after thousands of runs, and the allocator reuses freed memory only after some has been freed)` : ''}, then up to ${timing.repeats} timed samples (calls batched so a sample lasts ≥ ${timing.minSampleMs} ms; sampling stops after ${timing.maxSeconds} s). Before timing, every subject's \`logProb\` is checked against a float64 reference (relative error ≤ 1e-4) and its samples for mean 0 and variance 1 after standardising; one that fails is shown **WRONG** and not timed. Throughput that stays flat as the size grows is linear scaling; where it falls, scaling stops.`,
    '',
    ...roundsText(report),
    `The training step's size is the number of weights of its MLP (each a Gaussian with a mu and a rho), so its cells are millions of weights trained per second; the column says the layer widths and the batch. It has no ceiling (no hand-written training step in plain JS, tfjs or ONNX Runtime), so its rows have no ratio; \`ceiling:torch\` trains the same MLP in PyTorch (autograd, \`torch.optim.Adam\`), checked the same way. Before it is timed, one deterministic step (every layer frozen at its means) is checked against a float64 forward and backward pass written in the bench — the loss within 1e-4 and each parameter's gradient within 1e-3 relative L2 error — and ${CHECK_STEPS_TEXT}; one that fails is shown **WRONG**. A subject id \`NAME:Nthread(s)\` is the backend on N threads (\`cpu:1thread\` is \`new CpuBackend({ threads: 1 })\`); plain \`cpu\` uses every core.`,
    '',
    `The CNN training step (\`trainCnn\`) is the same on the Bayesian CNN of \`examples/mnist-cnn\` (46,730 weights at its defaults), checked the same way against a float64 pass of the CNN; its ratio is to \`ceiling:torch\`, PyTorch training the same Bayesian CNN (every weight sampled each step), since no engine has a hand-written one. Steps per second are its throughput divided by its size.`,
    '',
    ...Object.entries(OPERATIONS).map(
      ([op, what]) => `- **${OP_LABEL[op as keyof typeof OP_LABEL]}**: ${what}.`,
    ),
  );
  if (svgLink) out.push('', `![Throughput against size, log-log](${svgLink})`);
  const elementGroups = groups.filter((g) => !KERNEL_OPS.includes(g.op));
  const kernelGroups = groups.filter((g) => KERNEL_OPS.includes(g.op));
  if (elementGroups.length > 0) out.push('', '## Throughput (M elements/s, × ceiling)');
  for (const group of elementGroups) {
    out.push(
      '',
      `### ${OP_LABEL[group.op]} on ${deviceLabel(m.devices, group.device)}`,
      '',
      ...groupTables(group),
    );
  }
  if (kernelGroups.length > 0) {
    out.push(
      '',
      '## Kernels: conv2d forward+backward (GFLOP/s, × ceiling)',
      '',
      `Each cell is GFLOP/s at the median time of one forward and backward pass — \`conv2d(x, w)\`, then dx and dW of the loss Σ y⊙g, until the loss, dx and dW are readable — counted as 3 × 2·N·O·Ho·Wo·C·kh·kw FLOPs (the loss's two elementwise passes over y are not counted); ${manyRounds(report) ? 'in brackets the slowest and fastest round, then the ratio to the ceiling (the median of the ratios within a round, lowest–highest)' : "in brackets the slowest and fastest of the timed samples; in parentheses the backend's ratio to its ceiling"}. The \`cpu\` backends are compared with \`ceiling:wasm-f32x4\`, the float32 WebAssembly SIMD peak of one thread: a loop of ${CHAINS} independent f32x4 multiply-then-add chains with no memory traffic, run for the shape's FLOPs (no convolution reaches it; \`cpu\` on several threads can pass it). \`ceiling:wasm-f64x2\` is the same loop in float64 lanes, the peak of kernels that accumulate in float64. tfjs backends are compared with \`tf.conv2d\` and \`tf.valueAndGrads\` on the same tfjs engine (tfjs's own NHWC layout), \`onnx\` with ONNX Runtime's \`Conv\` (forward), \`ConvTranspose\` (dx) and \`Conv\` on transposed x and dy (dW) in one session (\`ceiling:ort\`). \`ceiling:torch\` is PyTorch's \`F.conv2d\` and \`torch.autograd.grad\`. Before timing, every subject's y, dx and dW are checked against float64 (relative L2 error ≤ ${CONV_TOLERANCE} each); one that fails is shown **WRONG**.`,
    );
    for (const group of kernelGroups) {
      out.push(
        '',
        `### ${OP_LABEL[group.op]} on ${deviceLabel(m.devices, group.device)}`,
        '',
        ...groupTables(group),
      );
    }
  }
  out.push(...scalingSection(report));
  const notes = problems(report.measurements);
  const failedPackages = report.unavailable
    .filter((u) => !report.measurements.some((r) => r.subject === u.subject))
    .map((u) => `${u.subject} on ${u.device}: unavailable: ${u.reason}`);
  if (notes.length + failedPackages.length > 0) {
    out.push('', '## Not measured', '', ...[...failedPackages, ...notes].map((n) => `- ${n}`));
  }
  out.push(
    '',
    '## Every measurement',
    '',
    `p10 – p90 of the per-call time; samples × calls per sample; peak RSS of the process that ran the subject (the training step first, then the conv2d shapes, then the sizes in ascending order, so it is the peak at that size); live tensors of the engine after the measurement (2 parameters and the fixed x are expected; for the training step, 8 parameters, Adam's 16 moments, the batch and its labels: 26; for the CNN, 16 parameters, Adam's 32 moments, the images, the labels and the 8 weights and biases each layer holds from its last draw: 58; for conv2d, x, w and g: 3); relative error of \`logProb\` against float64, for the training steps the largest relative L2 error of a gradient, for conv2d the largest of y, dx and dW.`,
    '',
    ...table(
      [
        'subject',
        'device',
        'op',
        'size',
        'median',
        'p10 – p90',
        'M elem/s',
        '× ceiling',
        'rounds',
        'samples',
        'peak RSS MiB',
        'live tensors',
        'check rel. err',
      ],
      report.measurements.map(detailRow),
      3,
    ),
    '',
    `Options: \`${JSON.stringify({ sizes: report.options.sizes, timing: report.options.timing, ...(report.options.rounds === undefined ? {} : { rounds: report.options.rounds }), setup: report.options.setup, train: report.options.train, ...(report.options.conv === undefined ? {} : { conv: report.options.conv }), ...(report.options.cnn === undefined ? {} : { cnn: report.options.cnn }), isolate: report.options.isolate })}\``,
    '',
  );
  return out.join('\n');
}
