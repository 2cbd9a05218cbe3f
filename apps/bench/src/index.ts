/**
 * `@illia-ts/bench` as a library: the harness behind `npm run bench`, for tests and scripts.
 */

export type { SubjectJob, TimingOptions } from './measure.js';
export { type BenchOptions, DEFAULT_SIZES, type ParsedArgs, parseArgs, USAGE } from './options.js';
export { markdownReport } from './report/markdown.js';
export { svgChart } from './report/svg.js';
export { textTable } from './report/table.js';
export type { BenchReport, MachineDescription, Measurement, Status } from './results.js';
export { installedBackends, type RunHooks, runBench } from './runner.js';
export { type Device, OPERATIONS, type Operation } from './subjects/types.js';
export { writeReports } from './write.js';
