import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SessionCache } from './session-cache.js';

/** A stand-in session that records its release. */
function fakeSession(log: string[], key: string): InferenceSession {
  return { release: async () => void log.push(`release ${key}`) } as unknown as InferenceSession;
}

describe('SessionCache', () => {
  it('creates once per key, then hits', async () => {
    const made: string[] = [];
    const cache = new SessionCache(4, async (model) => {
      made.push(new TextDecoder().decode(model));
      return fakeSession([], '');
    });
    const model = (k: string) => () => new TextEncoder().encode(k);
    await cache.with('a', model('a'), async () => 1);
    await cache.with('a', model('a'), async () => 1);
    await cache.with('b', model('b'), async () => 1);
    expect(made).toEqual(['a', 'b']);
    expect(cache.stats()).toEqual({ size: 2, hits: 1, misses: 2 });
  });

  it('evicts the least recently used and releases it, but not while a run holds it', async () => {
    const log: string[] = [];
    let key = '';
    const cache = new SessionCache(2, async () => fakeSession(log, key));
    const use = async (k: string, during?: () => Promise<void>) => {
      key = k;
      await cache.with(
        k,
        () => new Uint8Array(),
        async () => {
          await during?.();
        },
      );
    };
    await use('a');
    await use('b');
    await use('a'); // a is now more recent than b
    await use('c'); // evicts b
    await Promise.resolve();
    expect(log).toEqual(['release b']);
    // d evicts a while a is running: a is released only when its run ends.
    let finishA: () => void = () => undefined;
    const running = use('a', () => new Promise<void>((resolve) => (finishA = resolve)));
    await new Promise((r) => setTimeout(r, 0));
    await use('d'); // evicts c (a was used last)
    await use('e'); // evicts a, which is in use
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['release b', 'release c']);
    finishA();
    await running;
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['release b', 'release c', 'release a']);
    expect(cache.stats().size).toBe(2);
  });

  it('does not cache a session that failed to be created', async () => {
    let attempts = 0;
    const cache = new SessionCache(2, async () => {
      attempts++;
      throw new Error('bad model');
    });
    await expect(
      cache.with(
        'x',
        () => new Uint8Array(),
        async () => 1,
      ),
    ).rejects.toThrow('bad model');
    await expect(
      cache.with(
        'x',
        () => new Uint8Array(),
        async () => 1,
      ),
    ).rejects.toThrow('bad model');
    expect(attempts).toBe(2);
    expect(cache.stats().size).toBe(0);
  });
});
