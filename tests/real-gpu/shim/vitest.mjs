/**
 * A stand-in for `vitest` in the real-GPU bundle (build.mjs aliases `vitest` to this file): the
 * parts of vitest's API that the webgpu test files and packages/conformance use, with vitest's
 * semantics, and a small sequential runner in place of vitest's. `expect` is @vitest/expect's
 * (the chai plugins vitest installs), so assertions and their messages are vitest's own.
 *
 * Supported: describe / it / test with `(name, fn)`, `(name, options, fn)`, `(name, fn, timeout)`
 * and `(name, fn, options)`; `.skip`, `.only` (run like a plain one), `.todo`, `.skipIf(c)`,
 * `.runIf(c)`, `.each(table)`; beforeAll / afterAll / beforeEach / afterEach (a function returned
 * by beforeAll or beforeEach is run as its teardown, as vitest does); the test context's `skip()`
 * (throws, stopping the test, as vitest's does), `task.name`, `onTestFinished`, `onTestFailed`.
 * A describe's `timeout` applies to the tests inside it, as in vitest.
 *
 * Environment: REAL_GPU_TEST_TIMEOUT_MS caps every test's timeout, REAL_GPU_HOOK_TIMEOUT_MS sets
 * the hooks' (default 60 s), REAL_GPU_DEFAULT_TIMEOUT_MS the tests' without one (default 60 s, as
 * the package's `vitest run --testTimeout=60000`), REAL_GPU_DEADLINE_MS (from the runner's start)
 * after which no further test starts: those are reported as `not-run`.
 */
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  ChaiStyleAssertions,
  chai,
  GLOBAL_EXPECT,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(ChaiStyleAssertions);
chai.use(JestAsymmetricMatchers);

/** vitest's `expect`, made as vitest's createExpect makes it (without snapshots and polling). */
export const expect = (value, message) => {
  const { assertionCalls } = getState(expect);
  setState({ assertionCalls: assertionCalls + 1 }, expect);
  return chai.expect(value, message);
};
Object.assign(expect, chai.expect);
Object.assign(expect, globalThis[ASYMMETRIC_MATCHERS_OBJECT]);
expect.getState = () => getState(expect);
expect.setState = (state) => setState(state, expect);
setState({ assertionCalls: 0, isExpectingAssertions: false, currentTestName: '' }, expect);
expect.assert = chai.assert;
expect.extend = (matchers) => chai.expect.extend(expect, matchers);
expect.soft = (...args) => expect(...args);
expect.unreachable = (message) => {
  chai.assert.fail(`expected${message ? ` "${message}" ` : ' '}not to be reached`);
};
globalThis[GLOBAL_EXPECT] = expect;
export const assert = chai.assert;

const env = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

/** A suite: a describe block, or the file-level root. */
function newSuite(name, parent, options = {}) {
  return {
    kind: 'suite',
    name,
    parent,
    children: [],
    beforeAll: [],
    afterAll: [],
    beforeEach: [],
    afterEach: [],
    timeout: options.timeout,
    skip: options.skip === true,
  };
}

const root = newSuite('', null);
let current = root;

/** vitest's argument forms: (name, fn), (name, options, fn), (name, fn, timeout | options). */
function parseArgs(a, b) {
  if (typeof a === 'function') {
    return { fn: a, options: typeof b === 'number' ? { timeout: b } : (b ?? {}) };
  }
  if (typeof b === 'function') return { fn: b, options: a ?? {} };
  return { fn: undefined, options: a ?? {} };
}

/** vitest's `.each` title formatting: printf-like %s %d %i %f %j %o %#, and $name for objects. */
function formatTitle(title, row, index) {
  const args = Array.isArray(row) ? [...row] : [row];
  let out = title.replace(/%[sdifjoO#%]/g, (m) => {
    if (m === '%%') return '%';
    if (m === '%#') return String(index);
    if (args.length === 0) return m;
    const v = args.shift();
    if (m === '%d' || m === '%i') return String(m === '%i' ? Math.trunc(Number(v)) : Number(v));
    if (m === '%f') return String(Number(v));
    if (m === '%j' || m === '%o' || m === '%O') return JSON.stringify(v);
    return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  });
  if (row !== null && typeof row === 'object' && !Array.isArray(row)) {
    out = out.replace(/\$([\w.]+)/g, (m, key) => {
      const v = key.split('.').reduce((o, k) => o?.[k], row);
      return v === undefined ? m : typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  return out;
}

function defineSuite(name, a, b, mode) {
  const { fn, options } = parseArgs(a, b);
  const suite = newSuite(String(name), current, {
    timeout: options.timeout,
    skip: mode === 'skip' || options.skip === true || current.skip,
  });
  current.children.push(suite);
  if (fn === undefined) return;
  const outer = current;
  current = suite;
  try {
    const result = fn();
    if (result && typeof result.then === 'function') {
      throw new Error(`describe('${name}'): an async callback is not supported by this shim`);
    }
  } finally {
    current = outer;
  }
}

function defineTest(name, a, b, mode) {
  const { fn, options } = parseArgs(a, b);
  current.children.push({
    kind: 'test',
    name: String(name),
    parent: current,
    fn,
    timeout: typeof options === 'number' ? options : options.timeout,
    skip: mode === 'skip' || options.skip === true || current.skip,
    todo: mode === 'todo' || options.todo === true || fn === undefined,
  });
}

/** describe / it with vitest's modifiers, over `define(name, a, b, mode)`. */
function withModifiers(define) {
  const api = (name, a, b) => define(name, a, b, 'run');
  api.skip = (name, a, b) => define(name, a, b, 'skip');
  api.only = api;
  api.concurrent = api;
  api.sequential = api;
  api.todo = (name, a, b) => define(name, a, b, 'todo');
  api.skipIf = (condition) => (condition ? api.skip : api);
  api.runIf = (condition) => (condition ? api : api.skip);
  api.each = (table) => (title, a, b) => {
    const { fn, options } = parseArgs(a, b);
    table.forEach((row, i) => {
      const args = Array.isArray(row) ? row : [row];
      define(formatTitle(String(title), row, i), options, (...rest) => fn(...args, ...rest), 'run');
    });
  };
  api.for = (table) => (title, a, b) => {
    const { fn, options } = parseArgs(a, b);
    table.forEach((row, i) => {
      define(formatTitle(String(title), row, i), options, (ctx) => fn(row, ctx), 'run');
    });
  };
  return api;
}

export const describe = withModifiers(defineSuite);
export const suite = describe;
export const it = withModifiers(defineTest);
export const test = it;

const hook = (kind) => (fn, timeout) => {
  current[kind].push({ fn, timeout: typeof timeout === 'number' ? timeout : timeout?.timeout });
};
export const beforeAll = hook('beforeAll');
export const afterAll = hook('afterAll');
export const beforeEach = hook('beforeEach');
export const afterEach = hook('afterEach');

/** vi is not used by the suites this shim serves: a stub that says so. */
export const vi = new Proxy(
  {},
  {
    get(_, key) {
      throw new Error(`vi.${String(key)} is not available in the real-gpu vitest shim`);
    },
  },
);

class SkipSignal extends Error {
  constructor(note) {
    super(note ?? 'skipped');
    this.name = 'SkipSignal';
  }
}

/** Runs `fn` with a timeout in ms; rejects with vitest's message on expiry. */
function withTimeout(fn, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out in ${ms}ms.`)), ms);
  });
  return Promise.race([Promise.resolve().then(fn), timeout]).finally(() => clearTimeout(timer));
}

const errorText = (e) =>
  e instanceof Error ? `${e.name}: ${e.message}`.replace(/^Error: /, '') : String(e);
const errorStack = (e) => (e instanceof Error && e.stack ? e.stack : String(e));

/** Suites and test joined by ' > ' as vitest's reporters do, the file left out. */
function fullName(node) {
  const names = [];
  for (let n = node; n?.parent && !n.file; n = n.parent) names.unshift(n.name);
  return names.join(' > ');
}

function fileOf(node) {
  let n = node;
  while (n && !n.file) n = n.parent;
  return n?.name;
}

function ancestors(node) {
  const list = [];
  for (let n = node.parent; n; n = n.parent) list.unshift(n);
  return list;
}

function testsIn(suite) {
  return suite.children.flatMap((c) => (c.kind === 'test' ? [c] : testsIn(c)));
}

/**
 * Runs every test registered so far, one after another as vitest runs one file, printing a line
 * per test to `log` (default stdout). Returns the results: one per test, with its full name
 * (suites joined by ' > ', as vitest's reporters do), state (pass, fail, skip, todo, not-run),
 * duration in ms and error, plus the errors of hooks and unhandled rejections.
 */
export async function run({ log = (line) => process.stdout.write(`${line}\n`) } = {}) {
  const started = Date.now();
  const deadline = env('REAL_GPU_DEADLINE_MS', Number.POSITIVE_INFINITY);
  const cap = env('REAL_GPU_TEST_TIMEOUT_MS', Number.POSITIVE_INFINITY);
  const hookTimeout = env('REAL_GPU_HOOK_TIMEOUT_MS', 60_000);
  const defaultTimeout = env('REAL_GPU_DEFAULT_TIMEOUT_MS', 60_000);
  const results = [];
  const errors = [];
  const onUnhandled = (reason) => {
    errors.push({ where: 'unhandled rejection', error: errorStack(reason) });
    log(`!! unhandled rejection: ${errorText(reason)}`);
  };
  process.on('unhandledRejection', onUnhandled);

  const record = (test, state, duration, error) => {
    const r = { file: fileOf(test), name: fullName(test), state, durationMs: Math.round(duration) };
    if (error !== undefined) r.error = error;
    results.push(r);
    const mark = { pass: 'ok', fail: 'FAIL', skip: 'skip', todo: 'todo', 'not-run': 'not-run' };
    log(
      `${mark[state]} ${r.name} (${r.durationMs} ms)${error ? `\n    ${error.split('\n').join('\n    ')}` : ''}`,
    );
  };

  const runHook = async (h, what) => {
    const teardown = await withTimeout(() => h.fn(), Math.min(h.timeout ?? hookTimeout, cap), what);
    return typeof teardown === 'function' ? teardown : undefined;
  };

  const runTest = async (test) => {
    if (test.todo) return record(test, 'todo', 0);
    if (test.skip) return record(test, 'skip', 0);
    if (Date.now() - started > deadline)
      return record(test, 'not-run', 0, 'past REAL_GPU_DEADLINE_MS');
    const t0 = performance.now();
    const failures = [];
    let skipped = false;
    const finished = [];
    const failed = [];
    const context = {
      task: { name: test.name, fullName: fullName(test) },
      expect,
      skip: (condition, note) => {
        if (typeof condition === 'boolean' && !condition) return;
        throw new SkipSignal(typeof condition === 'string' ? condition : note);
      },
      onTestFinished: (fn) => finished.push(fn),
      onTestFailed: (fn) => failed.push(fn),
      signal: new AbortController().signal,
    };
    setState({ assertionCalls: 0, currentTestName: fullName(test) }, expect);
    const teardowns = [];
    const chain = ancestors(test);
    try {
      for (const s of chain) {
        for (const h of s.beforeEach) {
          const down = await runHook(h, 'Hook');
          if (down) teardowns.unshift(down);
        }
      }
      let timeout = test.timeout;
      for (let n = test.parent; timeout === undefined && n; n = n.parent) timeout = n.timeout;
      timeout = Math.min(timeout ?? defaultTimeout, cap);
      await withTimeout(() => test.fn(context), timeout, 'Test');
    } catch (e) {
      if (e instanceof SkipSignal) skipped = true;
      else failures.push(errorStack(e));
    }
    for (const down of teardowns) {
      try {
        await withTimeout(down, hookTimeout, 'Hook');
      } catch (e) {
        failures.push(errorStack(e));
      }
    }
    for (const s of [...chain].reverse()) {
      for (const h of [...s.afterEach].reverse()) {
        try {
          await runHook(h, 'Hook');
        } catch (e) {
          failures.push(errorStack(e));
        }
      }
    }
    for (const fn of failures.length > 0 ? [...failed, ...finished] : finished) {
      try {
        await fn(context);
      } catch (e) {
        failures.push(errorStack(e));
      }
    }
    const duration = performance.now() - t0;
    if (failures.length > 0) return record(test, 'fail', duration, failures.join('\n'));
    return record(test, skipped ? 'skip' : 'pass', duration);
  };

  const runSuite = async (suite) => {
    const tests = testsIn(suite);
    if (tests.length === 0) return;
    const runnable = tests.some((t) => !t.skip && !t.todo);
    const teardowns = [];
    let setupError;
    if (runnable) {
      try {
        for (const h of suite.beforeAll) {
          const down = await runHook(h, 'Hook');
          if (down) teardowns.unshift(down);
        }
      } catch (e) {
        setupError = errorStack(e);
        errors.push({
          where: `beforeAll of ${fullName(suite) || fileOf(suite)}`,
          error: setupError,
        });
      }
    }
    if (setupError !== undefined) {
      for (const t of tests) {
        if (t.skip || t.todo) record(t, t.todo ? 'todo' : 'skip', 0);
        else record(t, 'fail', 0, `beforeAll failed: ${setupError}`);
      }
    } else {
      for (const child of suite.children) {
        if (child.kind === 'test') await runTest(child);
        else await runSuite(child);
      }
    }
    if (runnable) {
      // As vitest's runner: the afterAll hooks, then what the beforeAll hooks returned.
      for (const h of [...suite.afterAll].reverse()) {
        try {
          await runHook(h, 'Hook');
        } catch (e) {
          errors.push({
            where: `afterAll of ${fullName(suite) || fileOf(suite)}`,
            error: errorStack(e),
          });
        }
      }
      for (const down of teardowns) {
        try {
          await withTimeout(down, hookTimeout, 'Hook');
        } catch (e) {
          errors.push({ where: `beforeAll teardown of ${fullName(suite)}`, error: errorStack(e) });
        }
      }
    }
  };

  try {
    await runSuite(root);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return { results, errors, durationMs: Date.now() - started };
}

/** Starts a new file's root suite (each test file's tests and hooks go under its own root). */
export function beginFile(name) {
  const file = newSuite(name, root);
  file.file = true;
  root.children.push(file);
  current = file;
}
