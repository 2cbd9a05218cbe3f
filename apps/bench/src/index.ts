/**
 * `@illia-ts/bench` as a library: the harness behind `npm run bench`, for tests and scripts.
 */

export {
  type ConvCheckResult,
  checkConv,
  convData,
  convReference,
} from './conv-reference.js';
export type { SubjectJob } from './measure.js';
export { type BenchOptions, DEFAULT_SIZES, type ParsedArgs, parseArgs, USAGE } from './options.js';
export { markdownReport } from './report/markdown.js';
export { svgChart } from './report/svg.js';
export { textTable } from './report/table.js';
export type { BenchReport, MachineDescription, Measurement, Status } from './results.js';
export { installedBackends, type RunHooks, runBench } from './runner.js';
export {
  type ConvShape,
  conv2dFlops,
  convStepFlops,
  type Device,
  LENET_CONVS,
  OPERATIONS,
  type Operation,
} from './subjects/types.js';
export type { TimingOptions } from './timing.js';
export { writeReports } from './write.js';
