import {
  add,
  type Backend,
  type BackendFactory,
  GaussianDistribution,
  memory,
  registerBackend,
  rng,
  setBackend,
  tensor,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './context.js';

type ErrorClass = typeof TypeError | typeof RangeError | typeof Error;

/** Asserts `fn` throws `type` with a message naming the argument and what came. */
function expectArgumentError(fn: () => unknown, type: ErrorClass, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'an error').toBeInstanceOf(type);
  for (const pattern of patterns) expect((caught as Error).message).toMatch(pattern);
}

export function errorTests(ctx: SuiteContext, factory: BackendFactory): void {
  describe('bad input is a clear error', () => {
    const badShapes: Array<[unknown, ErrorClass, RegExp]> = [
      [[0], RangeError, /shape\[0\] must be a positive integer, got 0/],
      [[3, -1], RangeError, /shape\[1\] must be a positive integer, got -1/],
      [[2.5], RangeError, /shape\[0\] must be a positive integer, got 2\.5/],
      [[Number.NaN], RangeError, /shape\[0\].*got NaN/],
      [[Number.POSITIVE_INFINITY], RangeError, /shape\[0\].*got Infinity/],
      [['3'], TypeError, /shape\[0\] must be a positive integer, got "3"/],
      [3, TypeError, /shape must be an array of positive integers, got 3/],
      [undefined, TypeError, /shape must be an array.*got undefined/],
    ];
    for (const [shape, type, pattern] of badShapes) {
      it(`shape ${JSON.stringify(shape) ?? String(shape)} → ${type.name}`, () => {
        expectArgumentError(() => new GaussianDistribution(shape as number[]), type, pattern);
      });
    }

    const badOptions: Array<[string, unknown, ErrorClass]> = [
      ['stdPrior', 0, RangeError],
      ['stdPrior', -0.1, RangeError],
      ['stdPrior', Number.NaN, RangeError],
      ['stdPrior', Number.POSITIVE_INFINITY, RangeError],
      ['stdPrior', '0.1', TypeError],
      ['muPrior', Number.NaN, RangeError],
      ['muPrior', Number.NEGATIVE_INFINITY, RangeError],
      ['muInit', Number.NaN, RangeError],
      ['muInit', Number.POSITIVE_INFINITY, RangeError],
      ['rhoInit', Number.NaN, RangeError],
      ['rhoInit', Number.POSITIVE_INFINITY, RangeError],
      ['rhoInit', null, TypeError],
      ['rng', -1, RangeError],
      ['rng', 1.5, RangeError],
      ['rng', 2 ** 32, RangeError],
      ['rng', 'seed', TypeError],
    ];
    for (const [option, value, type] of badOptions) {
      it(`${option}: ${String(value)} → ${type.name}`, () => {
        const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
        expectArgumentError(
          () => new GaussianDistribution([2], { [option]: value }),
          type,
          new RegExp(`${option} must be`),
          new RegExp(`got ${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
        );
      });
    }

    it('logProb(x) with x of another shape', () => {
      const dist = new GaussianDistribution([2, 3], { rng: 1 });
      const x = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
      try {
        expectArgumentError(
          () => dist.logProb(x),
          RangeError,
          /x must have/,
          /\[2, 3\]/,
          /got \[3, 2\]/,
        );
        expectArgumentError(() => dist.logProb(3 as never), TypeError, /x must be a Tensor, got 3/);
      } finally {
        x.dispose();
        dist.dispose();
      }
    });

    it('a disposed tensor or distribution', () => {
      const dist = new GaussianDistribution([2], { rng: 1 });
      const x = tensor([1, 2], [2]);
      x.dispose();
      expectArgumentError(() => dist.logProb(x), Error, /x .*after dispose/);
      dist.dispose();
      expectArgumentError(() => dist.sample(), Error, /after dispose/);
      expectArgumentError(() => dist.sigma(), Error, /after dispose/);
    });

    it('a tensor from another backend', async () => {
      const other = `${ctx.name}-other`;
      registerBackend(other, factory as () => Backend | Promise<Backend>);
      await setBackend(other);
      const before = memory().numTensors;
      const foreign = tensor([1, 2], [2]);
      await setBackend(ctx.name);
      const dist = new GaussianDistribution([2], { rng: 1 });
      const local = tensor([1, 2], [2]);
      try {
        expectArgumentError(
          () => dist.logProb(foreign),
          TypeError,
          /x lives on backend '.*-other'/,
        );
        expectArgumentError(() => add(local, foreign), TypeError, /lives on backend/);
      } finally {
        dist.dispose();
        local.dispose();
        foreign.dispose();
      }
      await setBackend(other);
      expect(memory().numTensors, 'the other backend leaks nothing').toBe(before);
      await setBackend(ctx.name);
    });

    it('shapes that do not broadcast, and values that do not fill their shape', () => {
      const a = tensor([1, 2], [2]);
      const b = tensor([1, 2, 3], [3]);
      try {
        expectArgumentError(
          () => add(a, b),
          RangeError,
          /\[2\] \(a\) and \[3\] \(b\) do not broadcast/,
        );
        expectArgumentError(
          () => tensor([1, 2, 3], [2, 2]),
          RangeError,
          /shape \[2, 2\] holds 4 values, but values has 3/,
        );
        expectArgumentError(
          () => rng(-3),
          RangeError,
          /seed must be an integer in \[0, 2\^32\), got -3/,
        );
      } finally {
        a.dispose();
        b.dispose();
      }
    });
  });
}
