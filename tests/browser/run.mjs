#!/usr/bin/env node
// `npm test` of @illia-ts/test-browser: the conformance suite in headless Chromium (vitest's
// browser mode, Playwright provider), one vitest project per backend (vitest.config.ts).
//
// Chromium is not an npm package here: it is the system's (Debian's `chromium`, which ships
// SwiftShader, so WebGL and WebGPU run without a GPU). Without one this says what it skipped and
// why, and passes, unless ILLIA_BROWSER_TESTS=required (.ci/run sets it).
//
// After the run it prints the tests per backend, and holds the failures against
// known-failures.json: bugs found on a GPU engine and not fixed yet, each with its cause. Any
// other failure fails the run; so does a listed test that now passes (the list is out of date).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const named = process.env.ILLIA_CHROMIUM;
const chromium = named ? (executable(named) ? named : undefined) : CANDIDATES.find(executable);
if (chromium === undefined) {
  const why = named
    ? `ILLIA_CHROMIUM=${named} is not an executable file`
    : `no Chromium at ${CANDIDATES.join(', ')}`;
  const message = `@illia-ts/test-browser: SKIPPED the browser tests (the conformance suite in headless Chromium on cpu, tfjs and onnx-web): ${why}. Install Debian's chromium (apt-get install chromium; .ci/run does) or set ILLIA_CHROMIUM to a Chromium or Chrome binary.`;
  if (process.env.ILLIA_BROWSER_TESTS === 'required') {
    console.error(`${message}\nILLIA_BROWSER_TESTS=required: failing.`);
    process.exit(1);
  }
  console.log(message);
  process.exit(0);
}

const here = dirname(fileURLToPath(import.meta.url));
/** The projects of vitest.config.ts, each a backend (projects.json holds the one list). */
const PROJECTS = JSON.parse(readFileSync(join(here, 'projects.json'), 'utf8')).projects.map(
  (p) => p.name,
);

// ILLIA_BROWSER_PROJECTS=cpu,tfjs-webgl runs only those projects (also through turbo, which
// passes ILLIA_* variables on).
const projects = (process.env.ILLIA_BROWSER_PROJECTS ?? '')
  .split(',')
  .map((p) => p.trim())
  .filter((p) => p !== '')
  .flatMap((p) => ['--project', p]);

const require = createRequire(import.meta.url);
const vitestBin = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const out = mkdtempSync(join(tmpdir(), 'illia-browser-'));
const report = join(out, 'report.json');
const run = spawnSync(
  process.execPath,
  [
    vitestBin,
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...projects,
    ...process.argv.slice(2),
  ],
  { cwd: here, stdio: 'inherit', env: { ...process.env, ILLIA_CHROMIUM: chromium } },
);

let results;
try {
  results = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  console.error(`@illia-ts/test-browser: vitest wrote no report (exit ${run.status})`);
  process.exit(run.status || 1);
} finally {
  rmSync(out, { recursive: true, force: true });
}

const known = JSON.parse(readFileSync(join(here, 'known-failures.json'), 'utf8'));
const rows = [];
const unexpected = [];
const fixed = [];
const knownSeen = [];
for (const file of results.testResults) {
  const backend = basename(file.name).replace(/\.test\.ts$/, '');
  const listed = known[backend]?.failures ?? {};
  const count = { passed: 0, failed: 0, skipped: 0, known: 0 };
  for (const t of file.assertionResults) {
    const isKnown = Object.hasOwn(listed, t.fullName);
    if (t.status === 'passed') {
      count.passed++;
      if (isKnown) fixed.push(`${backend}: ${t.fullName}`);
    } else if (t.status === 'failed') {
      if (isKnown) {
        count.known++;
        knownSeen.push(`${backend}: ${t.fullName}\n      (${listed[t.fullName]})`);
      } else {
        count.failed++;
        unexpected.push(`${backend}: ${t.fullName}`);
      }
    } else count.skipped++;
  }
  if (file.status === 'failed' && file.assertionResults.length === 0) {
    unexpected.push(`${backend}: the file failed to run: ${file.message ?? ''}`);
  }
  rows.push({ backend, ...count });
}

// A backend that ran no test is a failure, as is a vitest error outside any test (a browser that
// never connected once made every project report nothing, and the run looked green).
const asked = [...projects, ...process.argv.slice(2)].flatMap((arg, i, all) =>
  arg === '--project' ? [all[i + 1]] : arg.startsWith('--project=') ? [arg.slice(10)] : [],
);
const expected = asked.length > 0 ? asked : PROJECTS;
for (const backend of expected) {
  const row = rows.find((r) => r.backend === backend);
  if (!row || row.passed === 0) unexpected.push(`${backend}: no test passed (did it run?)`);
}
if (run.status !== 0 && unexpected.length === 0 && knownSeen.length === 0) {
  unexpected.push(`vitest exited ${run.status} without a failing test: see its errors above`);
}

console.log('\n@illia-ts/test-browser: tests per backend in Chromium');
console.log('backend        passed  failed  known GPU bugs  skipped');
for (const r of rows) {
  console.log(
    `${r.backend.padEnd(14)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.known).padStart(14)}  ${String(r.skipped).padStart(7)}`,
  );
}
if (knownSeen.length > 0) {
  console.log(
    `\nKnown failures (known-failures.json), still failing:\n  ${knownSeen.join('\n  ')}`,
  );
}
if (fixed.length > 0) {
  console.error(
    `\nListed in known-failures.json but PASSING now (remove them from the list):\n  ${fixed.join('\n  ')}`,
  );
}
if (unexpected.length > 0) {
  console.error(`\nFailures not in known-failures.json:\n  ${unexpected.join('\n  ')}`);
}
process.exit(unexpected.length > 0 || fixed.length > 0 ? 1 : 0);
