/**
 * Workers that claim their range (Web Workers, see `claim.ts`): the caller runs the ranges of
 * workers that have not started, waits for those that have, and the bits are those of one thread
 * whoever ran what. Hosts of our own stand in for Web Workers, so this runs in Node.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Job, runJob } from '../kernels/jobs.js';
import { CLAIMED, claim } from './claim.js';
import { KernelPool, type Task, type WorkerHost } from './kernel-pool.js';

const DONE = 1;
const BLOCKS = 40;

/** A normal-draws job over BLOCKS blocks into a fresh shared array. */
function normalJob(): Job & { out: Float32Array } {
  const out = new Float32Array(new SharedArrayBuffer(BLOCKS * 2048 * 4));
  return { kind: 'normal', out, seed: 11, counter: 5 };
}

/** The draws of one thread. */
function oneThread(): Float32Array {
  const job = normalJob();
  runJob(job, 0, BLOCKS);
  return job.out;
}

/**
 * A claiming host whose workers do what `behave` says with each task they are posted: nothing
 * (never started), run it at once (started first), or claim it and never finish (hung).
 */
function host(behave: (w: number) => 'idle' | 'run' | 'hang'): WorkerHost {
  let started = 0;
  return {
    kind: 'test workers',
    canBlock: true,
    claims: true,
    start(control) {
      const w = started++;
      return {
        up: Promise.resolve(true),
        worker: {
          control,
          post(task: Task) {
            const what = behave(w);
            if (what === 'idle' || !claim(control, task.seq)) return;
            if (what === 'hang') return;
            runJob(task.job, task.firstBlock, task.endBlock);
            Atomics.store(control, DONE, task.seq);
          },
          stop() {},
        },
      };
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('workers that claim their range', () => {
  it('the caller runs the ranges of workers that have not started, with the bits of one thread', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const pool = KernelPool.withHost(
      host(() => 'idle'),
      3,
      10_000,
    );
    expect(await pool.whenReady()).toBe(true);
    for (let i = 0; i < 3; i++) {
      const job = normalJob();
      pool.run(job, BLOCKS);
      expect(Buffer.from(job.out.buffer).equals(Buffer.from(oneThread().buffer))).toBe(true);
    }
    // Three ranges a job, none waited for: no worker was given up on.
    expect(pool.rangesRunByCaller).toBe(9);
    expect(pool.threads).toBe(4);
    expect(warn).not.toHaveBeenCalled();
  });

  it('a worker that claimed its range first runs it, and the caller waits for it', async () => {
    const pool = KernelPool.withHost(
      host((w) => (w === 1 ? 'run' : 'idle')),
      3,
      10_000,
    );
    await pool.whenReady();
    const job = normalJob();
    pool.run(job, BLOCKS);
    expect(Buffer.from(job.out.buffer).equals(Buffer.from(oneThread().buffer))).toBe(true);
    expect(pool.rangesRunByCaller).toBe(2);
  });

  it('a worker that claimed its range and hangs is dropped, and the job rerun on one thread', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const pool = KernelPool.withHost(
      host((w) => (w === 0 ? 'hang' : 'idle')),
      2,
      50,
    );
    await pool.whenReady();
    const job = normalJob();
    job.out.fill(Number.NaN);
    pool.run(job, BLOCKS);
    expect(Buffer.from(job.out.buffer).equals(Buffer.from(oneThread().buffer))).toBe(true);
    expect(pool.threads).toBe(2);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/did not finish a normal job/);
  });

  it('a claim is won once, and never for a job older than the last claimed', () => {
    const control = new Int32Array(new SharedArrayBuffer((CLAIMED + 1) * 4));
    expect(claim(control, 3)).toBe(true);
    expect(claim(control, 3)).toBe(false);
    expect(claim(control, 2)).toBe(false);
    expect(claim(control, 5)).toBe(true);
    expect(claim(control, 4)).toBe(false);
  });
});
