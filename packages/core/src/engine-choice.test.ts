/**
 * Which backend is current: ILLIA_BACKEND against the order of imports, setBackend calls that
 * overlap, backends still starting, and the advice each environment gets. Each test starts from an
 * empty registry (the engine keeps its state on globalThis).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from './backend.js';
import './ops/index.js';
import { getBackend, ready, registerBackend, registeredBackends, setBackend } from './engine.js';
import { createReferenceBackend } from './reference-backend.js';

const STATE_KEY = Symbol.for('@illia-ts/core/engine');

function resetEngine(): void {
  delete (globalThis as { [STATE_KEY]?: unknown })[STATE_KEY];
}

/** A backend whose start waits for `finish()`; `starts` counts the factory's calls. */
function deferred(name: string) {
  let finish: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const gate = {
    starts: 0,
    finish,
    factory: async (): Promise<Backend> => {
      gate.starts++;
      await started;
      return createReferenceBackend(name);
    },
  };
  return gate;
}

let savedEnv: string | undefined;
beforeEach(() => {
  resetEngine();
  savedEnv = process.env.ILLIA_BACKEND;
  delete process.env.ILLIA_BACKEND;
});
afterEach(() => {
  vi.unstubAllGlobals();
  if (savedEnv === undefined) delete process.env.ILLIA_BACKEND;
  else process.env.ILLIA_BACKEND = savedEnv;
  resetEngine();
});

describe('ILLIA_BACKEND (Node)', () => {
  it('wins over the order of imports, either order', () => {
    process.env.ILLIA_BACKEND = 'second';
    registerBackend('first', () => createReferenceBackend('first'), { priority: 1 });
    registerBackend('second', () => createReferenceBackend('second'));
    expect(getBackend().name).toBe('second');
    resetEngine();
    registerBackend('second', () => createReferenceBackend('second'));
    registerBackend('first', () => createReferenceBackend('first'), { priority: 1 });
    expect(getBackend().name).toBe('second');
  });

  it('without it, the first backend imported becomes current', () => {
    registerBackend('first', () => createReferenceBackend('first'));
    registerBackend('second', () => createReferenceBackend('second'));
    expect(getBackend().name).toBe('first');
  });

  it('naming a backend the app did not import is an error, not another backend quietly', async () => {
    process.env.ILLIA_BACKEND = 'absent';
    registerBackend('first', () => createReferenceBackend('first'));
    expect(() => getBackend()).toThrow(
      "no backend is ready: ILLIA_BACKEND is 'absent', which the app has not imported (registered: first): call `await ready()` before the first op (it imports @illia-ts/backend-absent), or unset ILLIA_BACKEND",
    );
    await expect(ready()).rejects.toThrow(
      "ready: ILLIA_BACKEND is 'absent': backend 'absent' is not installed: run npm i @illia-ts/backend-absent",
    );
    expect(() => getBackend()).toThrow(/ILLIA_BACKEND is 'absent'/);
  });

  it('a backend it names that is still starting: getBackend says to await ready(), which waits', async () => {
    process.env.ILLIA_BACKEND = 'late';
    const late = deferred('late');
    registerBackend('late', late.factory);
    expect(() => getBackend()).toThrow(
      "no backend is ready: ILLIA_BACKEND is 'late', which is still starting: call `await ready()` before the first op",
    );
    const waiting = ready();
    late.finish();
    expect((await waiting).name).toBe('late');
    expect(late.starts).toBe(1);
  });

  it('a malformed value is an error naming the variable', async () => {
    process.env.ILLIA_BACKEND = 'Tfjs Wasm';
    await expect(ready()).rejects.toThrow(
      'ready: ILLIA_BACKEND must name a backend such as "cpu" (lowercase letters, digits, "-"), got "Tfjs Wasm"; unset it for the default',
    );
  });
});

describe('setBackend', () => {
  it('waits for what the backend still has to initialise, starting it once', async () => {
    const slow = deferred('slow');
    // The first registration starts at once (it becomes current when no backend is).
    registerBackend('slow', slow.factory);
    const chosen = setBackend('slow');
    expect(slow.starts).toBe(1);
    slow.finish();
    const backend = await chosen;
    expect(backend.name).toBe('slow');
    expect(getBackend()).toBe(backend);
    expect(slow.starts).toBe(1);
  });

  it('the last call wins, whichever backend starts first', async () => {
    registerBackend('fast', () => createReferenceBackend('fast'));
    const slow = deferred('slow');
    registerBackend('slow', slow.factory);
    const first = setBackend('slow');
    const second = setBackend('fast');
    slow.finish();
    await Promise.all([first, second]);
    expect(getBackend().name).toBe('fast');

    const slow2 = deferred('slow2');
    registerBackend('slow2', slow2.factory);
    const third = setBackend('fast');
    const fourth = setBackend('slow2');
    const readied = ready();
    slow2.finish();
    await third;
    // ready() waits for the calls in flight: the last one's backend.
    expect((await readied).name).toBe('slow2');
    expect((await fourth).name).toBe('slow2');
    expect(getBackend().name).toBe('slow2');
  });

  it('a call that fails leaves the backend of the calls before it', async () => {
    registerBackend('good', () => createReferenceBackend('good'));
    registerBackend('bad', () => {
      throw new Error('no GPU here');
    });
    const good = setBackend('good');
    const bad = setBackend('bad');
    await expect(bad).rejects.toThrow('no GPU here');
    await good;
    expect(getBackend().name).toBe('good');
  });
});

describe('in a page (no process)', () => {
  function inAPage(env: Record<string, string> = {}): void {
    vi.stubGlobal('process', { env });
  }

  it('getBackend says which import to add, and ready() with none registered the same', async () => {
    inAPage();
    expect(() => getBackend()).toThrow(
      "no backend is ready: import a backend in your app, such as import '@illia-ts/backend-cpu'; then `await ready()` (a page cannot load a package by name)",
    );
    expect(registeredBackends()).toEqual([]);
  });

  it('setBackend of a backend that is not imported says which import to add, not npm i', async () => {
    const failure = setBackend('nope');
    inAPage();
    // The import fails in Node with Node's "not found"; what matters here is the advice given for
    // a page, which needs only that the failure names the specifier.
    await expect(failure).rejects.toThrow(
      "backend 'nope' is not registered: add import '@illia-ts/backend-nope'; to your app (importing a backend registers it; a page cannot load a package by name)",
    );
  });

  it('ignores ILLIA_BACKEND (a bundler may define process.env; it is a Node setting)', () => {
    inAPage({ ILLIA_BACKEND: 'other' });
    registerBackend('first', () => createReferenceBackend('first'));
    expect(getBackend().name).toBe('first');
  });
});
