/**
 * The end of the suite bundle (build.mjs puts the webgpu test files before it): runs every test
 * they registered through the vitest shim, prints a line per test and a total, and writes the
 * results as JSON to the file named by `REAL_GPU_RESULTS` (default ./suite-results.json). Exits 1
 * if any test failed or a hook threw.
 */
import { writeFileSync } from 'node:fs';
import { run } from 'vitest';

export async function main() {
  const { results, errors, durationMs } = await run();
  const count = (state) => results.filter((r) => r.state === state).length;
  const totals = {
    tests: results.length,
    passed: count('pass'),
    failed: count('fail'),
    skipped: count('skip'),
    todo: count('todo'),
    notRun: count('not-run'),
    hookErrors: errors.length,
  };
  const byFile = {};
  for (const r of results) {
    byFile[r.file] ??= { passed: 0, failed: 0, skipped: 0, notRun: 0 };
    const f = byFile[r.file];
    if (r.state === 'pass') f.passed++;
    else if (r.state === 'fail') f.failed++;
    else if (r.state === 'not-run') f.notRun++;
    else f.skipped++;
  }
  const slowest = [...results]
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, 15)
    .map((r) => `${r.durationMs} ms  ${r.name}`);
  console.log(
    `\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped, ${totals.notRun} not run, ${errors.length} hook/unhandled errors, in ${(durationMs / 1000).toFixed(1)} s`,
  );
  for (const e of errors) console.log(`error in ${e.where}:\n${e.error}`);
  console.log(`slowest:\n  ${slowest.join('\n  ')}`);
  const path = process.env.REAL_GPU_RESULTS ?? 'suite-results.json';
  writeFileSync(
    path,
    `${JSON.stringify({ totals, byFile, durationMs, errors, slowest, results }, null, 1)}\n`,
  );
  process.exitCode = totals.failed > 0 || errors.length > 0 ? 1 : 0;
}
