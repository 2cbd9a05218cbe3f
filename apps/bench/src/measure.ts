import { checkCnnTraining, cnnBatch } from './cnn-reference.js';
import { checkConv, convData } from './conv-reference.js';
import { checkGaussian } from './reference.js';
import type { Measurement } from './results.js';
import { quantile } from './stats.js';
import type {
  CnnSetup,
  CnnWorkload,
  ConvSetup,
  ConvShape,
  ConvWorkload,
  Device,
  GaussianSetup,
  Operation,
  Session,
  Subject,
  TrainSetup,
  TrainWorkload,
  Workload,
} from './subjects/types.js';
import {
  cnnLabel,
  cnnSize,
  convLabel,
  convStepFlops,
  GAUSSIAN_OPS,
  MNIST_CNN,
  trainLabel,
  trainSize,
  Unavailable,
} from './subjects/types.js';
import type { TimingOptions } from './timing.js';
import { checkTraining, trainBatch } from './train-reference.js';

/** One subject on one device over every size and operation: what a worker process runs. */
export interface SubjectJob {
  readonly subject: string;
  readonly device: Device;
  readonly sizes: readonly number[];
  readonly ops: readonly Operation[];
  readonly setup: GaussianSetup;
  /** The training step's MLP; `trainStep` runs once per hidden width. */
  readonly train: TrainSetup;
  /** The conv2d page's shapes; `conv2d` runs once per shape. */
  readonly conv: ConvSetup;
  /** The CNN of `trainCnn` (absent in a job from before it: the example's, `MNIST_CNN`). */
  readonly cnn?: CnnSetup;
  readonly timing: TimingOptions;
  /** Times each cell is timed (`--rounds`; absent: once). */
  readonly rounds?: number;
}

/**
 * Where a job waits for its turn (see rounds.ts): before preparing a cell (`phase` −1: its
 * workload and check; for the Gaussian operations, the first operation at the size) and before
 * timing round `phase` of it.
 */
export interface GateStep {
  readonly op: Operation;
  readonly size: number;
  readonly phase: number;
}

/** Resolves when the job may do the step; absent, a job never waits. */
export type Gate = (step: GateStep) => Promise<void>;

/** One (size, operation) of a job; `hidden`, `conv` or `cnn` say which MLP, convolution or CNN. */
export interface JobCell {
  readonly size: number;
  readonly op: Operation;
  readonly hidden?: number;
  readonly conv?: ConvShape;
  readonly cnn?: CnnSetup;
}

/** The row label of a cell whose size does not say what it is (trainStep, trainCnn, conv2d). */
export function cellLabel(job: Pick<SubjectJob, 'train'>, cell: JobCell): string | undefined {
  if (cell.hidden !== undefined) return trainLabel(job.train, cell.hidden);
  if (cell.cnn !== undefined) return cnnLabel(cell.cnn);
  if (cell.conv !== undefined) return convLabel(cell.conv);
  return undefined;
}

/**
 * Every (size, operation) a job measures: the training step at each hidden width (its size is
 * the weight count) first, while the process is small, then conv2d on each shape (its size is
 * the FLOPs of a forward and backward pass), then the Gaussian operations at each size.
 */
export function jobCells(
  job: Pick<SubjectJob, 'sizes' | 'ops' | 'train' | 'conv' | 'cnn'>,
): JobCell[] {
  const cells: JobCell[] = [];
  if (job.ops.includes('trainStep')) {
    for (const hidden of [...job.train.hidden].sort((a, b) => a - b)) {
      cells.push({ size: trainSize(job.train, hidden), op: 'trainStep', hidden });
    }
  }
  if (job.ops.includes('trainCnn')) {
    const cnn = job.cnn ?? MNIST_CNN;
    cells.push({ size: cnnSize(cnn), op: 'trainCnn', cnn });
  }
  if (job.ops.includes('conv2d')) {
    for (const conv of job.conv.shapes) {
      const size = convStepFlops(conv);
      // Rows are told apart by (op, size): two shapes of the same FLOPs would be one row.
      if (cells.some((c) => c.op === 'conv2d' && c.size === size)) {
        throw new RangeError(
          `conv2d: shapes ${convLabel(conv)} and another have the same FLOPs (${size}); give each shape its own`,
        );
      }
      cells.push({ size, op: 'conv2d', conv });
    }
  }
  const gaussianOps = job.ops.filter((op) => GAUSSIAN_OPS.includes(op));
  for (const size of [...job.sizes].sort((a, b) => a - b)) {
    for (const op of gaussianOps) cells.push({ size, op });
  }
  return cells;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Peak RSS of this process, MiB; undefined in a page (the browser runner), which has none. */
function peakRssMiB(): number | undefined {
  // maxRSS is in KiB and only grows: with sizes ascending it is the peak of the largest so far.
  if (typeof process === 'undefined' || typeof process.resourceUsage !== 'function')
    return undefined;
  return process.resourceUsage().maxRSS / 1024;
}

async function time(
  fn: () => Promise<void>,
  t: TimingOptions,
): Promise<{ perCall: number[]; batch: number }> {
  let last = Number.POSITIVE_INFINITY;
  const warmupStart = performance.now();
  for (let i = 0; i < t.warmup || performance.now() - warmupStart < t.warmupMs; i++) {
    const start = performance.now();
    await fn();
    last = performance.now() - start;
  }
  const batch = Number.isFinite(last)
    ? Math.max(1, Math.min(10_000, Math.ceil(t.minSampleMs / Math.max(last, 1e-4))))
    : 1;
  const perCall: number[] = [];
  const begin = performance.now();
  while (perCall.length < t.repeats) {
    const start = performance.now();
    for (let k = 0; k < batch; k++) await fn();
    const end = performance.now();
    perCall.push((end - start) / batch);
    if (perCall.length >= 3 && end - begin > t.maxSeconds * 1000) break;
  }
  return { perCall, batch };
}

/** The ceiling a subject's rows of `op` are compared with. */
function ceilingFor(subject: Subject, op: Operation): { ceiling?: string } {
  const ceiling = subject.opCeilings?.[op] ?? subject.ceiling;
  return ceiling === undefined ? {} : { ceiling };
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/**
 * Runs one job of `subject` (`subjectFor(job.subject)` in Node; the page's own in the browser
 * runner, which is why this module imports no subject), calling `emit` with each row as soon as it
 * is known. Sizes run in ascending order so that the process's peak RSS after a size is that size's.
 */
export async function runJob(
  job: SubjectJob,
  emit: (row: Measurement) => void,
  subject: Subject,
  gate?: Gate,
): Promise<void> {
  const cells = jobCells(job);
  const base = { subject: subject.id, role: subject.role, device: job.device };
  const gaussianOps = job.ops.filter((op) => GAUSSIAN_OPS.includes(op));
  const emitAll = (
    which: readonly JobCell[],
    status: Measurement['status'],
    reason: string,
    engine?: string,
  ) => {
    for (const cell of which) {
      const label = cellLabel(job, cell);
      const { op, size } = cell;
      emit({
        ...base,
        ...ceilingFor(subject, op),
        engine,
        op,
        size,
        ...(label === undefined ? {} : { label }),
        status,
        reason,
      });
    }
  };
  let session: Session;
  try {
    session = await subject.open(job.device);
  } catch (error) {
    emitAll(cells, error instanceof Unavailable ? 'unavailable' : 'error', errorText(error));
    return;
  }
  const engine = session.engine;
  try {
    for (const cell of cells) {
      if (cell.hidden === undefined) continue;
      const row = {
        ...base,
        ...ceilingFor(subject, cell.op),
        engine,
        op: cell.op,
        size: cell.size,
      };
      await measureTrainStep(session, cell.hidden, job, row, emit, gate);
    }
    for (const cell of cells) {
      if (cell.cnn === undefined) continue;
      const row = {
        ...base,
        ...ceilingFor(subject, cell.op),
        engine,
        op: cell.op,
        size: cell.size,
      };
      await measureTrainCnn(session, cell.cnn, job, row, emit, gate);
    }
    for (const cell of cells) {
      if (cell.conv === undefined) continue;
      const row = {
        ...base,
        ...ceilingFor(subject, cell.op),
        engine,
        op: cell.op,
        size: cell.size,
      };
      await measureConv(session, cell.conv, job, row, emit, gate);
    }
    const sizes = [
      ...new Set(
        cells
          .filter((c) => c.hidden === undefined && c.conv === undefined && c.cnn === undefined)
          .map((c) => c.size),
      ),
    ];
    for (const size of sizes) {
      const here = gaussianOps.map((op) => ({ size, op }));
      let workload: Workload;
      try {
        if (gaussianOps[0] !== undefined) await gate?.({ op: gaussianOps[0], size, phase: -1 });
        workload = await session.workload(size, job.setup);
      } catch (error) {
        emitAll(
          here,
          error instanceof Unavailable ? 'unavailable' : 'error',
          errorText(error),
          engine,
        );
        continue;
      }
      try {
        await measureSize(
          workload,
          size,
          job,
          gaussianOps,
          subject,
          { ...base, engine },
          emit,
          gate,
        );
      } finally {
        workload.dispose();
      }
    }
  } finally {
    await session.close();
  }
}

/** Runs `timing` (which returns milliseconds per call of each timed sample) and makes the row. */
async function timed(
  timing: () => Promise<{ perCall: number[]; batch: number; peakRssMiB?: number }>,
  size: number,
  liveTensors: () => number | null,
): Promise<Partial<Measurement>> {
  gc?.();
  const { perCall, batch, peakRssMiB: ownRss } = await timing();
  const medianMs = quantile(perCall, 0.5);
  const rss = ownRss ?? peakRssMiB();
  return {
    status: 'ok',
    samples: perCall.length,
    batch,
    medianMs,
    p10Ms: quantile(perCall, 0.1),
    p90Ms: quantile(perCall, 0.9),
    minMs: Math.min(...perCall),
    maxMs: Math.max(...perCall),
    throughput: size / (medianMs / 1000),
    ...(rss === undefined ? {} : { peakRssMiB: rss }),
    liveTensors: liveTensors(),
  };
}

/**
 * Times a checked cell once per round (`job.rounds`, default 1), waiting at the gate before each,
 * and emits each round's row; a round that throws ends the cell with an `error` row.
 */
async function inRounds(
  job: SubjectJob,
  gate: Gate | undefined,
  cell: { readonly op: Operation; readonly size: number },
  emit: (row: Measurement) => void,
  row: Omit<Measurement, 'status'>,
  measure: () => Promise<Partial<Measurement>>,
): Promise<void> {
  const rounds = job.rounds ?? 1;
  for (let round = 0; round < rounds; round++) {
    await gate?.({ op: cell.op, size: cell.size, phase: round });
    try {
      emit({ ...row, round, ...(await measure()) } as Measurement);
    } catch (error) {
      emit({ ...row, round, status: 'error', reason: errorText(error) });
      return;
    }
  }
}

/** Checks the subject's training against float64, then times its training step. */
async function measureTrainStep(
  session: Session,
  hidden: number,
  job: SubjectJob,
  base: Pick<Measurement, 'subject' | 'role' | 'ceiling' | 'device' | 'engine' | 'op' | 'size'>,
  emit: (row: Measurement) => void,
  gate?: Gate,
): Promise<void> {
  const row = { ...base, label: trainLabel(job.train, hidden) };
  if (!session.trainWorkload) {
    emit({ ...row, status: 'n/a', reason: `${base.subject} has no training step` });
    return;
  }
  let workload: TrainWorkload;
  try {
    await gate?.({ op: base.op, size: base.size, phase: -1 });
    workload = await session.trainWorkload(hidden, job.train, job.setup);
  } catch (error) {
    const status = error instanceof Unavailable ? 'unavailable' : 'error';
    emit({ ...row, status, reason: errorText(error) });
    return;
  }
  try {
    let trainCheck: Measurement['trainCheck'];
    try {
      const { problems, ...numbers } = checkTraining(
        job.train,
        hidden,
        await workload.checkValues(),
        trainBatch(job.train, job.setup.seed),
        job.setup.prior,
      );
      trainCheck = numbers;
      if (problems.length > 0) {
        emit({ ...row, trainCheck, status: 'wrong', reason: problems.join('; ') });
        return;
      }
    } catch (error) {
      emit({ ...row, status: 'wrong', reason: `check failed: ${errorText(error)}` });
      return;
    }
    await inRounds(job, gate, base, emit, { ...row, trainCheck }, () =>
      timed(
        () => workload.timeStep?.(job.timing) ?? time(() => workload.step(), job.timing),
        base.size,
        () => workload.liveTensors(),
      ),
    );
  } finally {
    workload.dispose();
  }
}

/**
 * Checks the subject's CNN training against float64 (`checkCnnTraining`), then times its step:
 * `measureTrainStep`'s rules on the CNN.
 */
async function measureTrainCnn(
  session: Session,
  cnn: CnnSetup,
  job: SubjectJob,
  base: Pick<Measurement, 'subject' | 'role' | 'ceiling' | 'device' | 'engine' | 'op' | 'size'>,
  emit: (row: Measurement) => void,
  gate?: Gate,
): Promise<void> {
  const row = { ...base, label: cnnLabel(cnn) };
  if (!session.cnnWorkload) {
    emit({ ...row, status: 'n/a', reason: `${base.subject} has no CNN training step` });
    return;
  }
  let workload: CnnWorkload;
  try {
    await gate?.({ op: base.op, size: base.size, phase: -1 });
    workload = await session.cnnWorkload(cnn, job.setup);
  } catch (error) {
    const status = error instanceof Unavailable ? 'unavailable' : 'error';
    emit({ ...row, status, reason: errorText(error) });
    return;
  }
  try {
    let trainCheck: Measurement['trainCheck'];
    try {
      const { problems, ...numbers } = checkCnnTraining(
        cnn,
        await workload.checkValues(),
        cnnBatch(cnn, job.setup.seed),
        job.setup.prior,
      );
      trainCheck = numbers;
      if (problems.length > 0) {
        emit({ ...row, trainCheck, status: 'wrong', reason: problems.join('; ') });
        return;
      }
    } catch (error) {
      emit({ ...row, status: 'wrong', reason: `check failed: ${errorText(error)}` });
      return;
    }
    await inRounds(job, gate, base, emit, { ...row, trainCheck }, () =>
      timed(
        () => workload.timeStep?.(job.timing) ?? time(() => workload.step(), job.timing),
        base.size,
        () => workload.liveTensors(),
      ),
    );
  } finally {
    workload.dispose();
  }
}

/**
 * Checks the subject's convolution and gradients against float64 (where it computes any), then
 * times its conv2d step on `shape`.
 */
async function measureConv(
  session: Session,
  shape: ConvShape,
  job: SubjectJob,
  base: Pick<Measurement, 'subject' | 'role' | 'ceiling' | 'device' | 'engine' | 'op' | 'size'>,
  emit: (row: Measurement) => void,
  gate?: Gate,
): Promise<void> {
  const row = { ...base, label: convLabel(shape) };
  if (!session.convWorkload) {
    emit({ ...row, status: 'n/a', reason: `${base.subject} has no conv2d` });
    return;
  }
  let workload: ConvWorkload;
  try {
    await gate?.({ op: base.op, size: base.size, phase: -1 });
    workload = await session.convWorkload(shape, job.setup.seed);
  } catch (error) {
    const status = error instanceof Unavailable ? 'unavailable' : 'error';
    emit({ ...row, status, reason: errorText(error) });
    return;
  }
  try {
    let convCheck: Measurement['convCheck'];
    if (workload.checkValues) {
      try {
        const { problems, ...numbers } = checkConv(
          shape,
          convData(shape, job.setup.seed),
          await workload.checkValues(),
        );
        convCheck = numbers;
        if (problems.length > 0) {
          emit({ ...row, convCheck, status: 'wrong', reason: problems.join('; ') });
          return;
        }
      } catch (error) {
        emit({ ...row, status: 'wrong', reason: `check failed: ${errorText(error)}` });
        return;
      }
    }
    const checked = convCheck === undefined ? {} : { convCheck };
    await inRounds(job, gate, base, emit, { ...row, ...checked }, () =>
      timed(
        () => workload.timeStep?.(job.timing) ?? time(() => workload.step(), job.timing),
        base.size,
        () => workload.liveTensors(),
      ),
    );
  } finally {
    workload.dispose();
  }
}

async function measureSize(
  workload: Workload,
  size: number,
  job: SubjectJob,
  ops: readonly Operation[],
  subject: Subject,
  base: Pick<Measurement, 'subject' | 'role' | 'device' | 'engine'>,
  emit: (row: Measurement) => void,
  gate?: Gate,
): Promise<void> {
  let check: Measurement['check'];
  let wrong: string | undefined;
  try {
    const { problems, ...numbers } = checkGaussian({
      ...(await workload.checkValues()),
      prior: job.setup.prior,
    });
    check = numbers;
    if (problems.length > 0) wrong = problems.join('; ');
  } catch (error) {
    wrong = `check failed: ${errorText(error)}`;
  }
  for (const op of ops) {
    const row = { ...base, ...ceilingFor(subject, op), op, size, ...(check ? { check } : {}) };
    const fn = workload.ops[op];
    if (wrong !== undefined) {
      emit({ ...row, status: 'wrong', reason: wrong });
      continue;
    }
    if (!fn) {
      emit({ ...row, status: 'n/a', reason: `${base.subject} does not implement ${op}` });
      continue;
    }
    const { timeOp } = workload;
    await inRounds(job, gate, { op, size }, emit, row, () =>
      timed(
        () => (timeOp ? timeOp(op, job.timing) : time(fn, job.timing)),
        size,
        () => workload.liveTensors(),
      ),
    );
  }
}
