import { checkGaussian } from './reference.js';
import type { Measurement } from './results.js';
import { quantile } from './stats.js';
import { subjectFor } from './subjects/index.js';
import type { Device, GaussianSetup, Operation, Session, Workload } from './subjects/types.js';
import { Unavailable } from './subjects/types.js';

/** How each measurement is timed. */
export interface TimingOptions {
  /** Untimed runs first (JIT, caches, lazy graph compilation). */
  readonly warmup: number;
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
  readonly timing: TimingOptions;
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
  for (let i = 0; i < t.warmup; i++) {
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
  const sizes = [...job.sizes].sort((a, b) => a - b);
  const base = {
    subject: subject.id,
    role: subject.role,
    ...(subject.ceiling === undefined ? {} : { ceiling: subject.ceiling }),
    device: job.device,
  };
  const all = (status: Measurement['status'], reason: string, size?: number, engine?: string) => {
    for (const s of size === undefined ? sizes : [size]) {
      for (const op of job.ops) emit({ ...base, engine, op, size: s, status, reason });
    }
  };
  let session: Session;
  try {
    session = await subject.open(job.device);
  } catch (error) {
    all(error instanceof Unavailable ? 'unavailable' : 'error', errorText(error));
    return;
  }
  const engine = session.engine;
  try {
    for (const size of sizes) {
      let workload: Workload;
      try {
        workload = await session.workload(size, job.setup);
      } catch (error) {
        all(error instanceof Unavailable ? 'unavailable' : 'error', errorText(error), size, engine);
        continue;
      }
      try {
        await measureSize(workload, size, job, { ...base, engine }, emit);
      } finally {
        workload.dispose();
      }
    }
  } finally {
    await session.close();
  }
}

async function measureSize(
  workload: Workload,
  size: number,
  job: SubjectJob,
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
  for (const op of job.ops) {
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
    gc?.();
    try {
      const { perCall, batch } = await time(fn, job.timing);
      const medianMs = quantile(perCall, 0.5);
      emit({
        ...row,
        status: 'ok',
        samples: perCall.length,
        batch,
        medianMs,
        p10Ms: quantile(perCall, 0.1),
        p90Ms: quantile(perCall, 0.9),
        throughput: size / (medianMs / 1000),
        peakRssMiB: peakRssMiB(),
        liveTensors: workload.liveTensors(),
      });
    } catch (error) {
      emit({ ...row, status: 'error', reason: errorText(error) });
    }
  }
}
