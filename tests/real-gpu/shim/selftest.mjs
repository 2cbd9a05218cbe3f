/**
 * Checks the vitest shim against vitest's semantics on the forms the webgpu tests and the
 * conformance suite use: `node tests/real-gpu/shim/selftest.mjs` (no GPU, a second). Exits 1 on a
 * difference.
 */
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  beginFile,
  describe,
  expect,
  it,
  run,
  test,
} from './vitest.mjs';

const order = [];
beginFile('selftest');
describe('outer', { timeout: 50 }, () => {
  beforeAll(() => {
    order.push('beforeAll');
    return () => order.push('beforeAll teardown');
  });
  beforeEach(() => {
    order.push('beforeEach outer');
  });
  afterEach(() => {
    order.push('afterEach outer');
  });
  afterAll(() => {
    order.push('afterAll');
  });
  it('passes', () => {
    expect(new Float32Array([1, 2])).toEqual(new Float32Array([1, 2]));
    expect(0.1 + 0.2).toBeCloseTo(0.3, 10);
    expect(() => {
      throw new RangeError('bad thing');
    }).toThrow(/bad/);
  });
  it('fails with the message given to expect', () => {
    expect(1, 'one is two').toBe(2);
  });
  it('inherits the describe timeout (50 ms)', async () => {
    await new Promise((r) => setTimeout(r, 200));
  });
  it('takes its own timeout as an options object', { timeout: 400 }, async () => {
    await new Promise((r) => setTimeout(r, 100));
  });
  it('takes its own timeout as a third argument', async () => {
    await new Promise((r) => setTimeout(r, 100));
  }, 400);
  it('skips from the context, stopping the test', async (ctx) => {
    ctx.skip();
    throw new Error('not reached');
  });
  it('rejects', async () => {
    await expect(Promise.reject(new RangeError('no'))).rejects.toThrow(RangeError);
  });
  it.skip('it.skip', () => {
    throw new Error('not reached');
  });
  it.skipIf(true)('it.skipIf(true)', () => {
    throw new Error('not reached');
  });
  test.skipIf(false)('test.skipIf(false) runs', () => {});
  it.each([
    [1, 2],
    [3, 4],
  ])('each %i < %i', (a, b) => {
    expect(a).toBeLessThan(b);
  });
  describe('inner', () => {
    beforeEach(() => {
      order.push('beforeEach inner');
    });
    afterEach(() => {
      order.push('afterEach inner');
    });
    it('nested', () => {
      order.push('nested');
    });
  });
  describe.skip('describe.skip', () => {
    it('inside a skipped describe', () => {
      throw new Error('not reached');
    });
  });
  describe.skipIf(false)('describe.skipIf(false)', () => {
    it('runs', () => {});
  });
});
describe('afterEach failure', () => {
  let live = 0;
  beforeEach(() => {
    live = 0;
  });
  afterEach(() => {
    expect(live, 'live tensors at the end of the test').toBe(0);
  });
  it('leaks', () => {
    live = 1;
  });
});
describe('beforeAll failure', () => {
  beforeAll(() => {
    throw new Error('setup broke');
  });
  it('is failed, not run', () => {});
});

const expected = {
  'outer > passes': 'pass',
  'outer > fails with the message given to expect': 'fail',
  'outer > inherits the describe timeout (50 ms)': 'fail',
  'outer > takes its own timeout as an options object': 'pass',
  'outer > takes its own timeout as a third argument': 'pass',
  'outer > skips from the context, stopping the test': 'skip',
  'outer > rejects': 'pass',
  'outer > it.skip': 'skip',
  'outer > it.skipIf(true)': 'skip',
  'outer > test.skipIf(false) runs': 'pass',
  'outer > each 1 < 2': 'pass',
  'outer > each 3 < 4': 'pass',
  'outer > inner > nested': 'pass',
  'outer > describe.skip > inside a skipped describe': 'skip',
  'outer > describe.skipIf(false) > runs': 'pass',
  'afterEach failure > leaks': 'fail',
  'beforeAll failure > is failed, not run': 'fail',
};

const lines = [];
const { results, errors } = await run({ log: (l) => lines.push(l) });
const problems = [];
const got = Object.fromEntries(results.map((r) => [r.name, r.state]));
for (const [name, state] of Object.entries(expected)) {
  if (got[name] !== state) problems.push(`${name}: expected ${state}, got ${got[name]}`);
}
for (const name of Object.keys(got)) {
  if (!(name in expected)) problems.push(`unexpected test ${name}`);
}
const error = (name) => results.find((r) => r.name === name)?.error ?? '';
if (!/one is two/.test(error('outer > fails with the message given to expect'))) {
  problems.push('the message given to expect is not in the error');
}
if (!/timed out in 50ms/.test(error('outer > inherits the describe timeout (50 ms)'))) {
  problems.push('the describe timeout is not the test timeout');
}
if (!/live tensors/.test(error('afterEach failure > leaks'))) {
  problems.push("afterEach's failure is not the test's");
}
// Hooks: beforeEach outer→inner, afterEach inner→outer, beforeAll's teardown after afterAll (as
// vitest's runner: suite.afterAll, then suite.cleanup).
const nested = order.indexOf('nested');
const around = order.slice(nested - 2, nested + 3).join(', ');
if (around !== 'beforeEach outer, beforeEach inner, nested, afterEach inner, afterEach outer') {
  problems.push(`hook order around a nested test: ${around}`);
}
if (order.at(-1) !== 'beforeAll teardown' || order.at(-2) !== 'afterAll') {
  problems.push(`end of the hook order: ${order.slice(-2).join(', ')}`);
}
if (errors.length !== 1 || !/setup broke/.test(errors[0].error)) {
  problems.push(`hook errors: ${JSON.stringify(errors)}`);
}
if (problems.length > 0) {
  console.error(`shim self-test: ${problems.length} problems\n  ${problems.join('\n  ')}`);
  console.error(lines.join('\n'));
  process.exit(1);
}
console.log(`shim self-test: ${results.length} tests as vitest would run them`);
