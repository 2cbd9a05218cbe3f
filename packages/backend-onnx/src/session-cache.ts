/**
 * A bounded cache of inference sessions, keyed by graph structure. An evicted session is released
 * once the runs that hold it have finished.
 *
 * Plain least-recently-used eviction thrashes when a program cycles through more structures than
 * the cache holds: every use evicts the session that the next use needs, so every run pays for a
 * new session (40 ms against 0.5 ms per step, measured with 70 structures and 64 places). So a
 * structure enters a full cache only if it has been used more often, recently, than the one it
 * would evict (TinyLFU's admission rule): a cycle then keeps a fixed subset cached and runs the
 * rest in sessions made for one run, while a new structure that keeps being used soon gets in.
 * Use counts are halved every 10 uses per place, so that old favourites fade.
 *
 * Sessions with a thread pool ("threaded": each owns intra-op threads) have a smaller limit of
 * their own, so that the threads they hold stay bounded (ONNX Runtime's node binding has no
 * global thread pool).
 */
import type { ort } from '#ort';

type InferenceSession = ort.InferenceSession;

interface Entry {
  readonly session: Promise<InferenceSession>;
  readonly threaded: boolean;
  /** Runs in flight on this session. */
  users: number;
  evicted: boolean;
}

export interface SessionCacheStats {
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
  /** Cached sessions that own a thread pool. */
  readonly threaded: number;
  /** Sessions made for one run and released after it (the cache was full of more used ones). */
  readonly uncached: number;
}

export interface SessionCacheLimits {
  /** Sessions kept in all. */
  readonly capacity: number;
  /** Sessions with a thread pool kept. */
  readonly threadedCapacity: number;
}

export class SessionCache {
  readonly #limits: SessionCacheLimits;
  readonly #create: (model: Uint8Array, threaded: boolean) => Promise<InferenceSession>;
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  readonly #entries = new Map<string, Entry>();
  /** Recent uses per structure, cached or not (halved every `10 · capacity` uses). */
  readonly #uses = new Map<string, number>();
  #sinceHalving = 0;
  #threaded = 0;
  #hits = 0;
  #misses = 0;
  #uncached = 0;

  constructor(
    limits: SessionCacheLimits,
    create: (model: Uint8Array, threaded: boolean) => Promise<InferenceSession>,
  ) {
    this.#limits = limits;
    this.#create = create;
  }

  /**
   * Runs `use` with the session of `key`, creating it from `model()` on a miss (with a thread
   * pool if `threaded`). The session is not released while `use` runs, even if it is evicted
   * meanwhile.
   */
  async with<T>(
    key: string,
    threaded: boolean,
    model: () => Uint8Array,
    use: (session: InferenceSession) => Promise<T>,
  ): Promise<T> {
    const uses = this.#count(key);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      const session = this.#create(model(), threaded);
      entry = { session, threaded, users: 0, evicted: false };
      if (this.#admit(threaded, uses)) {
        this.#entries.set(key, entry);
        if (threaded) this.#threaded++;
        // A failed creation is not cached: the next read tries again.
        const cached = entry;
        session.catch(() => {
          if (this.#entries.get(key) === cached) this.#remove(key, cached);
        });
      } else {
        // Made for this run alone: released when it ends.
        entry.evicted = true;
        this.#uncached++;
      }
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

  /** Counts a use of `key` and returns its recent uses (this one included). */
  #count(key: string): number {
    const uses = (this.#uses.get(key) ?? 0) + 1;
    this.#uses.set(key, uses);
    if (++this.#sinceHalving >= 10 * this.#limits.capacity) {
      this.#sinceHalving = 0;
      for (const [k, n] of this.#uses) {
        if (n > 1) this.#uses.set(k, n >> 1);
        else this.#uses.delete(k);
      }
    }
    return uses;
  }

  /**
   * Makes room for a new session if it is used more than the one that would go (the least
   * recently used of its kind where that kind is full, else of all); returns whether it goes in.
   */
  #admit(threaded: boolean, uses: number): boolean {
    const full = (): 'threaded' | 'any' | null => {
      if (threaded && this.#threaded >= this.#limits.threadedCapacity) return 'threaded';
      return this.#entries.size >= this.#limits.capacity ? 'any' : null;
    };
    for (let kind = full(); kind !== null; kind = full()) {
      let victim: [string, Entry] | undefined;
      for (const item of this.#entries) {
        if (kind === 'any' || item[1].threaded) {
          victim = item;
          break;
        }
      }
      if (victim === undefined) return false;
      const [key, entry] = victim;
      if (uses <= (this.#uses.get(key) ?? 0)) return false;
      this.#remove(key, entry);
    }
    return true;
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    if (entry.threaded) this.#threaded--;
    entry.evicted = true;
    if (entry.users === 0) release(entry);
  }

  /** Cached sessions, hits, misses and uncached sessions so far. */
  stats(): SessionCacheStats {
    return {
      size: this.#entries.size,
      hits: this.#hits,
      misses: this.#misses,
      threaded: this.#threaded,
      uncached: this.#uncached,
    };
  }

  /** Releases every cached session (those in use once their runs finish). */
  clear(): void {
    for (const [key, entry] of [...this.#entries]) this.#remove(key, entry);
    this.#uses.clear();
  }
}

function release(entry: Entry): void {
  entry.session.then(
    (s) => s.release(),
    () => undefined,
  );
}
