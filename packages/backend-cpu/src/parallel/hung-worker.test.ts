/**
 * Fault injection (`faulty-worker.ts`): a worker thread that never answers must not block the
 * calling thread forever. Each test starts a backend whose worker hangs in one way, and checks
 * that the kernel returns after `workerTimeout`, bitwise the same as on one thread, with a
 * process warning, and that the backend goes on (on the threads left) without waiting again.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { firstDifference, floatsOf, runKernel, splitJobsDuring } from '../test-helpers.js';
import { testWorkerUrl } from './test-worker.js';

// Long enough for a healthy worker to start on a loaded machine (the same option times the start).
// Long enough for a worker to start under CI's load (at 2 s, one did not, at load average 17 on
// 2 cores, and the test saw one thread); a hung job costs this much wait, not CPU.
const TIMEOUT = 15_000;
const N = 300_001;
const one = new CpuBackend({ threads: 1 });

let locks = 0;

/** A two-thread backend whose worker hangs as `fault` says (see `faulty-worker.ts`). */
async function faultyBackend(fault: 'start' | 'wait' | 'spin', after = 0): Promise<CpuBackend> {
  const lock = join(tmpdir(), `illia-fault-${process.pid}-${locks++}-${Date.now()}`);
  const settings = {
    ILLIA_TEST_FAULT: fault,
    ILLIA_TEST_FAULT_LOCK: lock,
    ILLIA_TEST_FAULT_AFTER: String(after),
  };
  Object.assign(process.env, settings);
  try {
    // A worker copies the environment when it is made, in the constructor.
    return new CpuBackend({
      threads: 2,
      parallelThreshold: 1,
      workerTimeout: TIMEOUT,
      workerUrl: await testWorkerUrl('faulty-worker'),
    });
  } finally {
    for (const name of Object.keys(settings)) delete process.env[name];
    setTimeout(() => rmSync(lock, { recursive: true, force: true }), 5000).unref();
  }
}

/** randomNormal of N elements on `backend`, with the time it took and the jobs split. */
function draw(backend: CpuBackend, counter: number) {
  const start = performance.now();
  let values: Float32Array = new Float32Array(0);
  const split = splitJobsDuring(() => {
    const t = runKernel(backend, 'randomNormal', [], { key: { seed: 3, counter }, shape: [N] }, [
      N,
    ]);
    values = floatsOf(backend, t);
    backend.dispose(t);
  });
  return { values, ms: performance.now() - start, split };
}

/** The same draws on one thread. */
function expected(counter: number): Float32Array {
  return draw(one, counter).values;
}

/** The messages of the process warnings emitted with code ILLIA_CPU_WORKERS. */
function workerWarnings(spy: ReturnType<typeof vi.spyOn>): string[] {
  return spy.mock.calls
    .filter(
      (call: unknown[]) => (call[1] as { code?: string } | undefined)?.code === 'ILLIA_CPU_WORKERS',
    )
    .map((call: unknown[]) => String(call[0]));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a hung worker thread', { timeout: 60_000 }, () => {
  for (const fault of ['wait', 'spin'] as const) {
    it(`that never finishes a job (${fault === 'wait' ? 'blocked in Atomics.wait' : 'in an endless loop'}): the job falls back to the calling thread after workerTimeout, bitwise the same, and the next runs at once on one thread`, async () => {
      const backend = await faultyBackend(fault);
      expect(await backend.whenReady()).toBe(2);
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

      const first = draw(backend, 1);
      expect(first.split, 'the job was split (so the worker got its part)').toBe(1);
      expect(firstDifference(first.values, expected(1))).toBe(-1);
      expect(first.ms).toBeGreaterThanOrEqual(TIMEOUT);
      expect(first.ms).toBeLessThan(TIMEOUT + 20_000);
      const [message, ...others] = workerWarnings(warn);
      expect(others).toEqual([]);
      expect(message).toMatch(
        /^CpuBackend: 1 worker thread did not finish a normal job \(waited \d+ ms after the calling thread\) and was stopped; the job was rerun on the calling thread \(same results\), and kernels now use 1 thread$/,
      );

      // The pool goes on without it: nothing is split any more, and nothing waits.
      expect(await backend.whenReady()).toBe(1);
      const second = draw(backend, 2);
      expect(second.split).toBe(0);
      expect(firstDifference(second.values, expected(2))).toBe(-1);
      expect(second.ms).toBeLessThan(TIMEOUT);

      if (fault === 'spin') {
        // The looping thread was stopped: the process no longer burns a CPU.
        const before = process.cpuUsage();
        const wall = performance.now();
        while (performance.now() - wall < 1000) await new Promise((r) => setTimeout(r, 50));
        const used = process.cpuUsage(before);
        expect((used.user + used.system) / 1000).toBeLessThan(300);
      }
    });
  }

  it('that hangs after serving jobs: those were split, the hung one falls back, the rest run on one thread', async () => {
    const backend = await faultyBackend('wait', 3);
    expect(await backend.whenReady()).toBe(2);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    for (let counter = 10; counter < 13; counter++) {
      const ok = draw(backend, counter);
      expect(ok.split).toBe(1);
      expect(ok.ms).toBeLessThan(TIMEOUT);
      expect(firstDifference(ok.values, expected(counter))).toBe(-1);
    }
    expect(workerWarnings(warn)).toEqual([]);
    const hung = draw(backend, 13);
    expect(hung.ms).toBeGreaterThanOrEqual(TIMEOUT);
    expect(firstDifference(hung.values, expected(13))).toBe(-1);
    expect(workerWarnings(warn)).toHaveLength(1);
    const after = draw(backend, 14);
    expect(after.split).toBe(0);
    expect(firstDifference(after.values, expected(14))).toBe(-1);
  });

  it('that never starts: whenReady resolves after workerTimeout with one thread, and kernels run meanwhile', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const start = performance.now();
    const backend = await faultyBackend('start');
    // Until the workers are up, kernels run on the calling thread.
    const meanwhile = draw(backend, 20);
    expect(meanwhile.split).toBe(0);
    expect(firstDifference(meanwhile.values, expected(20))).toBe(-1);
    expect(await backend.whenReady()).toBe(1);
    expect(performance.now() - start).toBeGreaterThanOrEqual(TIMEOUT);
    expect(workerWarnings(warn)).toEqual([
      `CpuBackend: 1 of 1 worker threads did not start within ${TIMEOUT} ms and were stopped; kernels use 1 thread`,
    ]);
    const after = draw(backend, 21);
    expect(after.split).toBe(0);
    expect(firstDifference(after.values, expected(21))).toBe(-1);
  });

  it('that started while the caller was busy past workerTimeout: it is kept, no warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const backend = new CpuBackend({
      threads: 2,
      workerTimeout: 500,
      workerUrl: await testWorkerUrl(),
    });
    // Synchronous work (a training loop) holds the calling thread past the timeout while the
    // worker starts; its "ready" message then waits behind the expired timer.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 8000);
    expect(await backend.whenReady()).toBe(2);
    expect(workerWarnings(warn)).toEqual([]);
  });

  for (const workerTimeout of [0, -1, Number.NaN, 2 ** 31]) {
    it(`workerTimeout ${workerTimeout} is an error`, () => {
      expect(() => new CpuBackend({ threads: 1, workerTimeout })).toThrow(
        new RangeError(
          `CpuBackend: workerTimeout must be a number of milliseconds in (0, 2147483647], got ${workerTimeout}`,
        ),
      );
    });
  }
});
