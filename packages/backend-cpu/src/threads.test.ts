import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CpuBackend } from './cpu-backend.js';
import { removeTestPackage, testPackageUrl, testWorkerUrl } from './parallel/test-worker.js';
import { maxThreads } from './threads.js';

const run = promisify(execFile);
const LIMIT = maxThreads(availableParallelism());
const INVALID = ['0', '-1', 'abc', '1.5', '', ' 2', '2 ', '+2', '0x2', '1e1', 'Infinity'];

/** Runs `body` with ILLIA_CPU_THREADS set to `value` (or unset), then restores it. */
function withVariable<T>(value: string | undefined, body: () => T): T {
  const saved = process.env.ILLIA_CPU_THREADS;
  if (value === undefined) delete process.env.ILLIA_CPU_THREADS;
  else process.env.ILLIA_CPU_THREADS = value;
  try {
    return body();
  } finally {
    if (saved === undefined) delete process.env.ILLIA_CPU_THREADS;
    else process.env.ILLIA_CPU_THREADS = saved;
  }
}

/** The messages of the process warnings emitted with `code`. */
function warnings(spy: ReturnType<typeof vi.spyOn>, code: string): string[] {
  return spy.mock.calls
    .filter((call: unknown[]) => (call[1] as { code?: string } | undefined)?.code === code)
    .map((call: unknown[]) => String(call[0]));
}

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(removeTestPackage);

describe('ILLIA_CPU_THREADS and the threads option', { timeout: 120_000 }, () => {
  for (const value of INVALID) {
    it(`ILLIA_CPU_THREADS=${JSON.stringify(value)} is an error naming the variable, the value and what is accepted`, () => {
      expect(() => withVariable(value, () => new CpuBackend())).toThrow(
        new RangeError(
          `ILLIA_CPU_THREADS must be a whole number of threads from 1 (counts above ${LIMIT}, this machine's most, are lowered to it), got ${JSON.stringify(value)}`,
        ),
      );
    });
  }

  for (const threads of [0, -1, 1.5, Number.NaN]) {
    it(`threads: ${threads} is an error`, () => {
      expect(() => new CpuBackend({ threads })).toThrow(
        new RangeError(`CpuBackend: threads must be a whole number, 1 or more, got ${threads}`),
      );
    });
  }

  it('the option wins over the variable, which is then not read', async () => {
    const backend = withVariable('abc', () => new CpuBackend({ threads: 1 }));
    expect(await backend.whenReady()).toBe(1);
  });

  it(`a count above the machine's CPUs (or 2) is lowered to ${LIMIT}, with a warning`, async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const workerUrl = await testWorkerUrl();
    const backend = new CpuBackend({ threads: LIMIT + 4, workerUrl });
    expect(await backend.whenReady()).toBe(LIMIT);
    expect(warnings(warn, 'ILLIA_CPU_THREADS')).toEqual([
      `CpuBackend: threads: ${LIMIT + 4} asks for more threads than this machine has CPUs (${availableParallelism()}); using ${LIMIT}`,
    ]);
    const fromVariable = withVariable('1000', () => new CpuBackend({ workerUrl }));
    expect(await fromVariable.whenReady()).toBe(LIMIT);
    expect(warnings(warn, 'ILLIA_CPU_THREADS')[1]).toBe(
      `CpuBackend: ILLIA_CPU_THREADS=1000 asks for more threads than this machine has CPUs (${availableParallelism()}); using ${LIMIT}`,
    );
    // At the limit: no warning.
    withVariable(String(LIMIT), () => new CpuBackend({ workerUrl }));
    expect(warnings(warn, 'ILLIA_CPU_THREADS')).toHaveLength(2);
  });
});

/**
 * Runs `script` (an ES module; `PACKAGE` is the URL of the package's bundle) in a fresh Node
 * process with ILLIA_CPU_THREADS set to `value`, from this package's folder so that
 * `@illia-ts/core` resolves. Returns its stdout and stderr.
 */
async function child(
  value: string,
  script: string,
  nodeArgs: readonly string[] = [],
): Promise<{ stdout: string; stderr: string }> {
  const url = await testPackageUrl();
  const env: NodeJS.ProcessEnv = { ...process.env, ILLIA_CPU_THREADS: value };
  delete env.ILLIA_BACKEND;
  return run(
    process.execPath,
    [
      ...nodeArgs,
      '--input-type=module',
      '-e',
      `const PACKAGE = ${JSON.stringify(url.href)};\n${script}`,
    ],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), env, timeout: 60_000 },
  );
}

describe('ILLIA_CPU_THREADS end to end, in a fresh process', { timeout: 120_000 }, () => {
  for (const value of ['abc', '', '0']) {
    it(`=${JSON.stringify(value)}: import '@illia-ts/backend-cpu' then getBackend() and await ready() say why cpu did not start`, async () => {
      const { stdout } = await child(
        value,
        `
        const core = await import('@illia-ts/core');
        await import(PACKAGE);
        const said = (f) => { try { f(); return 'no error'; } catch (e) { return e.message; } };
        const sync = said(() => core.getBackend());
        let async = 'no error';
        try { await core.ready(); } catch (e) { async = e.message; }
        console.log(JSON.stringify({ sync, async }));
        `,
      );
      const { sync, async } = JSON.parse(stdout) as { sync: string; async: string };
      const why = `backend 'cpu' failed to start: RangeError: ILLIA_CPU_THREADS must be a whole number of threads from 1 (counts above ${LIMIT}, this machine's most, are lowered to it), got ${JSON.stringify(value)}`;
      expect(sync).toBe(`no backend is ready: ${why}`);
      expect(async).toBe(`ready: ${why}`);
    });
  }

  it('=2 under node --expose-gc: the workers start (a V8 flag a worker may not be given)', async () => {
    const { stdout } = await child(
      '2',
      `
      const core = await import('@illia-ts/core');
      await import(PACKAGE);
      console.log(JSON.stringify({ threads: await (await core.ready()).whenReady() }));
      `,
      ['--expose-gc'],
    );
    expect(JSON.parse(stdout)).toEqual({ threads: 2 });
  });

  it('=1000: starts no more threads than the machine has, says so on stderr, and a logProb is quick', async () => {
    const { stdout, stderr } = await child(
      '1000',
      `
      const core = await import('@illia-ts/core');
      await import(PACKAGE);
      const backend = await core.ready();
      const threads = await backend.whenReady();
      const start = performance.now();
      const d = new core.GaussianDistribution([1000], { rng: 1 });
      const logProb = await d.logProb().item();
      const ms = performance.now() - start;
      console.log(JSON.stringify({ name: backend.name, threads, logProb, ms, rss: process.memoryUsage().rss }));
      `,
    );
    const got = JSON.parse(stdout) as {
      name: string;
      threads: number;
      logProb: number;
      ms: number;
      rss: number;
    };
    expect(got.name).toBe('cpu');
    expect(got.threads).toBe(LIMIT);
    expect(Number.isFinite(got.logProb)).toBe(true);
    // Before: 999 workers, 9.6 GB and 36 s. Now a thread per CPU: well under 1 GB.
    // (The workers started although the process runs with --input-type=module, which they inherit
    // and used to refuse: see workerExecArgv.)
    expect(got.rss).toBeLessThan(2 ** 30);
    expect(stderr).toContain(
      `[ILLIA_CPU_THREADS] Warning: CpuBackend: ILLIA_CPU_THREADS=1000 asks for more threads than this machine has CPUs (${availableParallelism()}); using ${LIMIT}`,
    );
  });
});
