import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import type { BenchOptions } from './options.js';
import { markdownReport } from './report/markdown.js';
import { svgChart } from './report/svg.js';
import type { BenchReport } from './results.js';

/** Writes the JSON, Markdown and SVG files the options name; returns the paths written. */
export async function writeReports(
  report: BenchReport,
  files: Pick<BenchOptions, 'json' | 'markdown' | 'svg'>,
): Promise<string[]> {
  const written: string[] = [];
  const write = async (path: string, text: string) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    written.push(path);
  };
  if (files.json) await write(files.json, `${JSON.stringify(report, null, 2)}\n`);
  if (files.svg) await write(files.svg, svgChart(report));
  if (files.markdown) {
    const link = files.svg
      ? relative(dirname(files.markdown), files.svg).split('\\').join('/')
      : null;
    await write(files.markdown, markdownReport(report, link));
  }
  return written;
}
