import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SessionCache } from './session-cache.js';

/** A stand-in session that records its release. */
function fakeSession(log: string[], key: string): InferenceSession {
  return { release: async () => void log.push(`release ${key}`) } as unknown as InferenceSession;
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** A cache of fake sessions, and `use(key)`, which runs `during` while holding the session. */
function fakeCache(capacity: number, threadedCapacity = capacity) {
  const log: string[] = [];
  const made: string[] = [];
  const cache = new SessionCache({ capacity, threadedCapacity }, async (model) => {
    const key = new TextDecoder().decode(model);
    made.push(key);
    return fakeSession(log, key);
  });
  const use = (key: string, threaded = false, during?: () => Promise<void>) =>
    cache.with(
      key,
      threaded,
      () => new TextEncoder().encode(key),
      async () => {
        await during?.();
      },
    );
  return { cache, log, made, use };
}

describe('SessionCache', () => {
  it('creates once per key, then hits', async () => {
    const { cache, made, use } = fakeCache(4);
    await use('a');
    await use('a');
    await use('b');
    expect(made).toEqual(['a', 'b']);
    expect(cache.stats()).toMatchObject({ size: 2, hits: 1, misses: 2 });
  });

  it('evicts the least recently used for a key used more, but not while a run holds it', async () => {
    const { cache, log, use } = fakeCache(2);
    await use('a');
    await use('b');
    await use('a'); // a is now more recent than b
    await use('c'); // used once, as b: not worth evicting b for, so run once and released
    await tick();
    expect(log).toEqual(['release c']);
    await use('c'); // used twice now: evicts b (the least recent)
    await tick();
    expect(log).toEqual(['release c', 'release b']);
    // a (used 3 times) is evicted while it runs: released only when its run ends.
    let finishA: () => void = () => undefined;
    const running = use('a', false, () => new Promise<void>((resolve) => (finishA = resolve)));
    await tick();
    for (let i = 0; i < 3; i++) await use('d'); // the third use evicts c (used twice)
    for (let i = 0; i < 4; i++) await use('e'); // the fourth evicts a (used 3 times)
    await tick();
    expect(log.slice(2)).toEqual([
      ...['release d', 'release d', 'release c'],
      ...['release e', 'release e', 'release e'],
    ]);
    finishA();
    await running;
    await tick();
    expect(log.at(-1)).toBe('release a');
    expect(cache.stats().size).toBe(2);
  });

  it('does not thrash when a cycle of keys is longer than the cache', async () => {
    const { cache, use } = fakeCache(4);
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    for (let round = 0; round < 10; round++) for (const k of keys) await use(k);
    // LRU would miss all 60 uses; admission keeps four keys cached: about 4 hits in each later
    // round (a few fewer around the halving of the use counts).
    const { size, hits, misses, uncached } = cache.stats();
    expect(size).toBe(4);
    expect(hits).toBeGreaterThanOrEqual(32);
    expect(misses).toBe(60 - hits);
    // Sessions that went into the cache: the first four, and a few swaps.
    expect(misses - uncached).toBeLessThanOrEqual(8);
  });

  it('keeps at most threadedCapacity sessions with a thread pool', async () => {
    const { cache, use } = fakeCache(8, 2);
    for (let round = 0; round < 3; round++) {
      for (const k of ['t0', 't1', 't2', 't3']) await use(k, true);
      for (const k of ['s0', 's1', 's2']) await use(k, false);
    }
    expect(cache.stats()).toMatchObject({ size: 5, threaded: 2 });
  });

  it('does not cache a session that failed to be created', async () => {
    let attempts = 0;
    const cache = new SessionCache({ capacity: 2, threadedCapacity: 2 }, async () => {
      attempts++;
      throw new Error('bad model');
    });
    const use = () =>
      cache.with(
        'x',
        false,
        () => new Uint8Array(),
        async () => 1,
      );
    await expect(use()).rejects.toThrow('bad model');
    await expect(use()).rejects.toThrow('bad model');
    expect(attempts).toBe(2);
    expect(cache.stats().size).toBe(0);
  });
});
