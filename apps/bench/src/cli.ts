#!/usr/bin/env node
/**
 * `npm run bench -- [options]`: times every installed illia-ts backend next to its ceilings,
 * prints the table on stdout (progress on stderr) and writes JSON, Markdown and SVG.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs, USAGE } from './options.js';
import { progressHooks } from './progress.js';
import { textTable } from './report/table.js';
import type { BenchReport } from './results.js';
import { runBench } from './runner.js';
import { writeReports } from './write.js';

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    // npm runs workspace scripts in the workspace folder; INIT_CWD is where the user typed it.
    parsed = parseArgs(process.argv.slice(2), process.env.INIT_CWD ?? process.cwd());
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { options } = parsed;
  let report: BenchReport;
  if (options.from === undefined) {
    const progress = progressHooks();
    report = await runBench(options, progress);
    progress.end();
  } else {
    report = JSON.parse(await readFile(options.from, 'utf8')) as BenchReport;
    if (report.tool !== '@illia-ts/bench' || !Array.isArray(report.measurements)) {
      throw new TypeError(`--from: expected the JSON of a bench run, got ${options.from}`);
    }
    // A note given now (where it ran, what else ran, learnt after the run) replaces the run's.
    if (options.note !== undefined) report = { ...report, note: options.note };
  }
  process.stdout.write(textTable(report));
  // Re-rendering keeps the JSON it came from.
  const written = await writeReports(
    report,
    options.from === undefined ? options : { ...options, json: null },
  );
  for (const path of written) process.stderr.write(`bench: wrote ${path}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A missing browser is the user's to install: the message says what, no stack.
    if ((error as Error)?.name === 'BrowserUnavailable') {
      process.stderr.write(`bench: ${(error as Error).message}\n`);
      process.exit(2);
    }
    process.stderr.write(`bench: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
