import { checkGaussian } from './reference.js';
import type { Measurement } from './results.js';
import { quantile } from './stats.js';
import { subjectFor } from './subjects/index.js';
import type {
  Device,
  GaussianSetup,
  Operation,
  Session,
  TrainSetup,
  TrainWorkload,
  Workload,
} from './subjects/types.js';
import { GAUSSIAN_OPS, trainLabel, trainSize, Unavailable } from './subjects/types.js';
import { checkTraining, trainBatch } from './train-reference.js';

/** How each measurement is timed. */
export interface TimingOptions {
  /** Untimed runs first (JIT, caches, lazy graph compilation), at least this many… */
  readonly warmup: number;
  /**
   * …and for at least this long: V8 optimises a small call only after thousands of runs, and the
   * C allocator reuses freed large blocks (instead of mapping fresh pages) only after a few have
   * been freed. Without it the first timed samples measure start-up, not the steady state.
   */
  readonly warmupMs: number;
  /** Timed samples wanted; the median, p10 and p90 are over them. */
  readonly repeats: number;
  /** A timed sample batches calls until it lasts at least this long (timer resolution). */
  readonly minSampleMs: number;
  /** Stop sampling a measurement after this long, once it has 3 samples. */
  readonly maxSeconds: number;
}

/** One subject on one device over every size and operation: what a worker process runs. */
export interface SubjectJob {
  readonly subject: string;
  readonly device: Device;
  readonly sizes: readonly number[];
  readonly ops: readonly Operation[];
  readonly setup: GaussianSetup;
  /** The training step's MLP; `trainStep` runs once per hidden width. */
  readonly train: TrainSetup;
  readonly timing: TimingOptions;
}

/**
 * Every (size, operation) a job measures: the training step at each hidden width (its size is
 * the weight count) first, while the process is small, then the Gaussian operations at each size.
 */
export function jobCells(
  job: Pick<SubjectJob, 'sizes' | 'ops' | 'train'>,
): { size: number; op: Operation; hidden?: number }[] {
  const cells: { size: number; op: Operation; hidden?: number }[] = [];
  if (job.ops.includes('trainStep')) {
    for (const hidden of [...job.train.hidden].sort((a, b) => a - b)) {
      cells.push({ size: trainSize(job.train, hidden), op: 'trainStep', hidden });
    }
  }
  const gaussianOps = job.ops.filter((op) => GAUSSIAN_OPS.includes(op));
  for (const size of [...job.sizes].sort((a, b) => a - b)) {
    for (const op of gaussianOps) cells.push({ size, op });
  }
  return cells;
}

const gc = (globalThis as { gc?: () => void }).gc;

function peakRssMiB(): number {
  // maxRSS is in KiB and only grows: with sizes ascending it is the peak of the largest so far.
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

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/**
 * Runs one job, calling `emit` with each row as soon as it is known. Sizes run in ascending order
 * so that the process's peak RSS after a size is that size's.
 */
export async function runJob(job: SubjectJob, emit: (row: Measurement) => void): Promise<void> {
  const subject = subjectFor(job.subject);
  const cells = jobCells(job);
  const base = {
    subject: subject.id,
    role: subject.role,
    ...(subject.ceiling === undefined ? {} : { ceiling: subject.ceiling }),
    device: job.device,
  };
  const gaussianOps = job.ops.filter((op) => GAUSSIAN_OPS.includes(op));
  const emitAll = (
    which: readonly { size: number; op: Operation; hidden?: number }[],
    status: Measurement['status'],
    reason: string,
    engine?: string,
  ) => {
    for (const { size, op, hidden } of which) {
      const label = hidden === undefined ? {} : { label: trainLabel(job.train, hidden) };
      emit({ ...base, engine, op, size, ...label, status, reason });
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
      const row = { ...base, engine, op: cell.op, size: cell.size };
      await measureTrainStep(session, cell.hidden, job, row, emit);
    }
    const sizes = [...new Set(cells.filter((c) => c.hidden === undefined).map((c) => c.size))];
    for (const size of sizes) {
      const here = gaussianOps.map((op) => ({ size, op }));
      let workload: Workload;
      try {
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
        await measureSize(workload, size, job, gaussianOps, { ...base, engine }, emit);
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
  return {
    status: 'ok',
    samples: perCall.length,
    batch,
    medianMs,
    p10Ms: quantile(perCall, 0.1),
    p90Ms: quantile(perCall, 0.9),
    throughput: size / (medianMs / 1000),
    peakRssMiB: ownRss ?? peakRssMiB(),
    liveTensors: liveTensors(),
  };
}

/** Checks the subject's training against float64, then times its training step. */
async function measureTrainStep(
  session: Session,
  hidden: number,
  job: SubjectJob,
  base: Pick<Measurement, 'subject' | 'role' | 'ceiling' | 'device' | 'engine' | 'op' | 'size'>,
  emit: (row: Measurement) => void,
): Promise<void> {
  const row = { ...base, label: trainLabel(job.train, hidden) };
  if (!session.trainWorkload) {
    emit({ ...row, status: 'n/a', reason: `${base.subject} has no training step` });
    return;
  }
  let workload: TrainWorkload;
  try {
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
    try {
      const stats = await timed(
        () => workload.timeStep?.(job.timing) ?? time(() => workload.step(), job.timing),
        base.size,
        () => workload.liveTensors(),
      );
      emit({ ...row, trainCheck, ...stats } as Measurement);
    } catch (error) {
      emit({ ...row, trainCheck, status: 'error', reason: errorText(error) });
    }
  } finally {
    workload.dispose();
  }
}

async function measureSize(
  workload: Workload,
  size: number,
  job: SubjectJob,
  ops: readonly Operation[],
  base: Pick<Measurement, 'subject' | 'role' | 'ceiling' | 'device' | 'engine'>,
  emit: (row: Measurement) => void,
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
    const row = { ...base, op, size, ...(check ? { check } : {}) };
    const fn = workload.ops[op];
    if (wrong !== undefined) {
      emit({ ...row, status: 'wrong', reason: wrong });
      continue;
    }
    if (!fn) {
      emit({ ...row, status: 'n/a', reason: `${base.subject} does not implement ${op}` });
      continue;
    }
    try {
      const { timeOp } = workload;
      const stats = await timed(
        () => (timeOp ? timeOp(op, job.timing) : time(fn, job.timing)),
        size,
        () => workload.liveTensors(),
      );
      emit({ ...row, ...stats } as Measurement);
    } catch (error) {
      emit({ ...row, status: 'error', reason: errorText(error) });
    }
  }
}
