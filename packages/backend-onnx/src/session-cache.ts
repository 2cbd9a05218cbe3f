/**
 * A bounded least-recently-used cache of inference sessions, keyed by graph structure. An
 * evicted session is released once the runs that hold it have finished.
 */
import type { InferenceSession } from 'onnxruntime-node';

interface Entry {
  readonly session: Promise<InferenceSession>;
  /** Runs in flight on this session. */
  users: number;
  evicted: boolean;
}

export interface SessionCacheStats {
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
}

export class SessionCache {
  readonly #capacity: number;
  readonly #create: (model: Uint8Array) => Promise<InferenceSession>;
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  readonly #entries = new Map<string, Entry>();
  #hits = 0;
  #misses = 0;

  constructor(capacity: number, create: (model: Uint8Array) => Promise<InferenceSession>) {
    this.#capacity = capacity;
    this.#create = create;
  }

  /**
   * Runs `use` with the session of `key`, creating it from `model()` on a miss. The session is
   * not released while `use` runs, even if it is evicted meanwhile.
   */
  async with<T>(
    key: string,
    model: () => Uint8Array,
    use: (session: InferenceSession) => Promise<T>,
  ): Promise<T> {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      const session = this.#create(model());
      entry = { session, users: 0, evicted: false };
      // A failed creation is not cached: the next read tries again.
      session.catch(() => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      });
      this.#entries.set(key, entry);
      this.#evictBeyondCapacity();
    } else {
      this.#hits++;
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    const held = entry;
    held.users++;
    try {
      return await use(await held.session);
    } finally {
      held.users--;
      if (held.evicted && held.users === 0) release(held);
    }
  }

  #evictBeyondCapacity(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#capacity) break;
      this.#entries.delete(key);
      entry.evicted = true;
      if (entry.users === 0) release(entry);
    }
  }

  /** Number of cached sessions, cache hits and misses so far. */
  stats(): SessionCacheStats {
    return { size: this.#entries.size, hits: this.#hits, misses: this.#misses };
  }

  /** Releases every cached session (those in use once their runs finish). */
  clear(): void {
    for (const entry of this.#entries.values()) {
      entry.evicted = true;
      if (entry.users === 0) release(entry);
    }
    this.#entries.clear();
  }
}

function release(entry: Entry): void {
  entry.session.then(
    (s) => s.release(),
    () => undefined,
  );
}
