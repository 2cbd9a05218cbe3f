/**
 * The IndexedDB helpers, against a small in-memory IndexedDB (just what they use: open with
 * versions and upgrades, object stores, put and get in transactions, structured clones).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Linear } from '../nn/linear.js';
import { memory } from '../tensor.js';
import { loadWeightsFromIndexedDB, saveWeightsToIndexedDB } from './indexeddb.js';
import { stateDict } from './state-dict.js';
import { useTestBackend } from './test-backend.js';

type Listener = (() => void) | null;

class FakeRequest<T> {
  result!: T;
  error: Error | null = null;
  onsuccess: Listener = null;
  onerror: Listener = null;
  onupgradeneeded: Listener = null;
}

class FakeDatabase {
  readonly stores = new Map<string, Map<string, unknown>>();
  version = 1;
  closed = false;
  readonly objectStoreNames = { contains: (name: string) => this.stores.has(name) };
  createObjectStore(name: string) {
    this.stores.set(name, new Map());
  }
  close() {
    this.closed = true;
  }
  transaction(name: string, mode: 'readonly' | 'readwrite') {
    const store = this.stores.get(name);
    if (!store) throw new Error(`NotFoundError: no store ${name}`);
    const staged = new Map<string, unknown>();
    const tx = {
      oncomplete: null as Listener,
      onerror: null as Listener,
      onabort: null as Listener,
      error: null as Error | null,
      objectStore: () => ({
        put: (value: unknown, key: string) => {
          if (mode !== 'readwrite') throw new Error('ReadOnlyError');
          // A structured clone: the stored bytes are a copy.
          staged.set(key, value instanceof Uint8Array ? value.slice() : structuredClone(value));
          return new FakeRequest();
        },
        get: (key: string) => {
          const request = new FakeRequest<unknown>();
          setTimeout(() => {
            const value = store.get(key);
            request.result = value instanceof Uint8Array ? value.slice() : value;
            request.onsuccess?.();
          });
          return request;
        },
      }),
    };
    // Committed all at once when the transaction completes.
    setTimeout(() => {
      for (const [k, v] of staged) store.set(k, v);
      tx.oncomplete?.();
    });
    return tx;
  }
}

class FakeIndexedDB {
  readonly databases = new Map<string, FakeDatabase>();
  opens: (number | undefined)[] = [];
  open(name: string, version?: number) {
    this.opens.push(version);
    const request = new FakeRequest<FakeDatabase>();
    setTimeout(() => {
      let db = this.databases.get(name);
      const upgrade = !db || (version !== undefined && version > db.version);
      if (!db) {
        db = new FakeDatabase();
        this.databases.set(name, db);
      }
      if (version !== undefined && version < db.version) {
        request.error = new Error('VersionError');
        request.onerror?.();
        return;
      }
      if (version !== undefined) db.version = version;
      db.closed = false;
      request.result = db;
      if (upgrade) request.onupgradeneeded?.();
      request.onsuccess?.();
    });
    return request;
  }
}

describe('weights in IndexedDB', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('saves under a key and loads into the same architecture, bitwise; closes the database', async () => {
    const live = memory().numTensors;
    const indexedDB = new FakeIndexedDB() as unknown as IDBFactory;
    const fake = indexedDB as unknown as FakeIndexedDB;
    const a = new Linear(3, 2, { rng: 1 });
    await saveWeightsToIndexedDB(a, 'mnist', { indexedDB });
    const db = fake.databases.get('illia-ts')!;
    expect(db.closed).toBe(true);
    expect(db.stores.get('weights')!.get('mnist')).toBeInstanceOf(Uint8Array);
    const b = new Linear(3, 2, { rng: 2 });
    const result = await loadWeightsFromIndexedDB(b, 'mnist', { indexedDB });
    expect(result.metadata.illia_ts_model).toContain('"type":"Linear"');
    const read = async (m: Linear) => {
      const out: Record<string, Float32Array> = {};
      for (const [k, t] of Object.entries(stateDict(m))) {
        out[k] = await t.data();
        t.dispose();
      }
      return out;
    };
    expect(await read(b)).toEqual(await read(a));
    // Another store in the same database: added by a version upgrade.
    await saveWeightsToIndexedDB(a, 'k', { indexedDB, store: 'other' });
    expect(fake.opens).toEqual([undefined, undefined, undefined, 2]);
    expect(db.stores.has('other')).toBe(true);
    a.dispose();
    b.dispose();
    expect(memory().numTensors).toBe(live);
  });

  it('a missing key, a missing IndexedDB and bad arguments are errors that say so', async () => {
    const indexedDB = new FakeIndexedDB() as unknown as IDBFactory;
    const m = new Linear(2, 2, { rng: 3 });
    await expect(loadWeightsFromIndexedDB(m, 'absent', { indexedDB })).rejects.toThrow(
      /loadWeightsFromIndexedDB: no weights under key "absent" in IndexedDB database "illia-ts", store "weights"/,
    );
    await expect(saveWeightsToIndexedDB(m, 'x')).rejects.toThrow(
      /saveWeightsToIndexedDB: there is no IndexedDB here .*'@illia-ts\/core\/node'/,
    );
    await expect(saveWeightsToIndexedDB(m, '' as never, { indexedDB })).rejects.toThrow(
      /key must be a non-empty string, got ""/,
    );
    await expect(saveWeightsToIndexedDB(m, 'x', { indexedDB, database: '' })).rejects.toThrow(
      /database must be a non-empty string, got ""/,
    );
    m.dispose();
  });
});
