import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** glibc's version where Node runs on glibc, else undefined (musl, macOS, Windows). */
const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })?.header
  ?.glibcVersionRuntime;

/** 1e6 floats in 4 KiB pages: what a read that faults every page in pays. */
const PAGES_PER_READ = Math.ceil(4e6 / 4096);

/**
 * Page faults per call of `sample()`, `await data()`, `dispose()` at 1e6 elements on 2 threads,
 * over 100 calls after 150, in a child process (glibc's thresholds are per process) where the
 * backend has `raiseMallocThreshold` as given. Without the variables that set glibc's thresholds
 * (they turn the dynamic ones off).
 */
async function faultsPerRead(raise: boolean): Promise<number> {
  const script = `
    const { GaussianDistribution, registerBackend, rng, setBackend } = await import('@illia-ts/core');
    const { CpuBackend } = await import(${JSON.stringify(dist)});
    registerBackend('c', () => new CpuBackend({ name: 'c', threads: 2, raiseMallocThreshold: ${raise} }));
    const backend = await setBackend('c');
    if ((await backend.whenReady()) !== 2) throw new Error('2 threads did not start');
    const gaussian = new GaussianDistribution([1e6], { rhoInit: -3, rng: 1 });
    const gen = rng(2);
    const call = async () => { const s = gaussian.sample(gen); await s.data(); s.dispose(); };
    for (let i = 0; i < 150; i++) await call();
    const before = process.resourceUsage().minorPageFault;
    for (let i = 0; i < 100; i++) await call();
    console.log((process.resourceUsage().minorPageFault - before) / 100);
    process.exit(0);
  `;
  const env = { ...process.env };
  for (const name of ['GLIBC_TUNABLES', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_']) {
    delete env[name];
  }
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env,
    cwd: packageDir,
  });
  return Number(stdout.trim());
}

const skip =
  glibc === undefined
    ? 'skipped: not glibc'
    : availableParallelism() < 2
      ? 'skipped: one core'
      : undefined;

describe.skipIf(skip !== undefined)(
  `raiseMallocThreshold (glibc ${glibc}${skip ? `; ${skip}` : ''})`,
  () => {
    it('a loop reading 1e6-element samples on 2 threads does not fault its reads in afresh', async () => {
      const raised = await faultsPerRead(true);
      const left = await faultsPerRead(false);
      // Left to glibc, the reads on this 2-core machine fault nearly every page in (about 950 of
      // 977 a call, measured); whether they do depends on when V8 frees them, so it is not asserted.
      console.log(`faults per read: ${raised} raised, ${left} left to glibc`);
      expect(raised).toBeLessThan(PAGES_PER_READ / 4);
    });
  },
);
