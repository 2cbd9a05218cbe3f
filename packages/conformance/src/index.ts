/**
 * `@illia-ts/conformance`: the one suite every illia-ts backend runs in its own tests.
 *
 * @example
 * // packages/backend-foo/src/conformance.test.ts
 * import { describeConformance } from '@illia-ts/conformance';
 * import { FooBackend } from './foo-backend.js';
 * describeConformance({ name: 'foo', factory: () => new FooBackend() });
 */
export {
  type BackendCandidate,
  crossBackendInputs,
  describeCrossBackend,
} from './cross-backend.js';
export { gaussianLogRatio64, relativeError, softplus64 } from './reference.js';
export {
  correlation,
  erf,
  KS_ALPHA,
  ksCritical,
  ksStatistic,
  meanVariance,
  normalCdf,
  STANDARD_ERRORS,
} from './statistics.js';
export { type ConformanceOptions, describeConformance } from './suite.js';
