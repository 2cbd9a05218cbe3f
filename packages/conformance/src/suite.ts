import {
  type Backend,
  type BackendFactory,
  memory,
  registerBackend,
  setBackend,
} from '@illia-ts/core';
import { afterEach, beforeAll, beforeEach, describe, expect } from 'vitest';
import type { SuiteContext } from './context.js';
import { errorTests } from './error-tests.js';
import { gaussianTests } from './gaussian-tests.js';
import { gradientTests } from './gradient-tests.js';
import { hardeningTests } from './hardening-tests.js';
import { ioTests } from './io-tests.js';
import { layerTests } from './layer-tests.js';
import { learningTests } from './learning-tests.js';
import { opTests } from './op-tests.js';
import { randomTests } from './random-tests.js';
import { tensorTests } from './tensor-tests.js';

/** What {@link describeConformance} takes. */
export interface ConformanceOptions {
  /** The name to register the backend under for the suite, such as `cpu` or `tfjs-wasm`. */
  readonly name: string;
  /** Makes the backend under test (called once, and once more for the cross-backend error test). */
  readonly factory: BackendFactory;
  /**
   * Per-test timeout in milliseconds, a guard against hangs, not a speed check. Default 240 s:
   * beside CI's other tasks (load average 20 on 2 cores) the ELBO learning test took 87 s on
   * onnx in Node and over 60 s on onnx-web in Chromium.
   */
  readonly timeout?: number;
}

/**
 * Registers the conformance suite for one backend as vitest tests: tensors and kernels against
 * float64, random-number statistics (mean, variance, KS at p < 1e-6, correlations) and
 * reproducibility, every op from its definition in core (forward against float64, gradients
 * against central differences, bad inputs), `GaussianDistribution` against the README's
 * contract, the layers against PyTorch's functional ops, save/load round trips, every bad
 * input's error, and no leaks (each test ends with as many live tensors as it
 * began with).
 */
export function describeConformance(options: ConformanceOptions): void {
  const { name, factory } = options;
  let backend: Backend | undefined;
  const ctx: SuiteContext = {
    name,
    backend: () => {
      if (!backend) throw new Error(`conformance: backend '${name}' is not set up yet`);
      return backend;
    },
  };

  describe(`conformance: ${name}`, { timeout: options.timeout ?? 240_000 }, () => {
    let liveBefore = 0;
    beforeAll(async () => {
      registerBackend(name, factory);
      backend = await setBackend(name);
    });
    beforeEach(async () => {
      await setBackend(name);
      liveBefore = memory().numTensors;
    });
    afterEach(() => {
      expect(memory().numTensors, 'live tensors at the end of the test').toBe(liveBefore);
    });

    tensorTests(ctx);
    opTests(ctx);
    randomTests(ctx);
    gaussianTests(ctx);
    errorTests(ctx, factory);
    gradientTests(ctx);
    learningTests(ctx);
    hardeningTests(ctx);
    layerTests(ctx);
    ioTests(ctx);
  });
}
