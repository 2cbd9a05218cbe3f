#!/usr/bin/env node
/**
 * `npm run bench -- [options]`: times every installed illia-ts backend next to its ceilings,
 * prints the table on stdout (progress on stderr) and writes JSON, Markdown and SVG.
 */
import { parseArgs, USAGE } from './options.js';
import { progressHooks } from './progress.js';
import { textTable } from './report/table.js';
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
  const progress = progressHooks();
  const report = await runBench(parsed.options, progress);
  progress.end();
  process.stdout.write(textTable(report));
  const written = await writeReports(report, parsed.options);
  for (const path of written) process.stderr.write(`bench: wrote ${path}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
