/**
 * Weights in a browser's IndexedDB: one safetensors blob per key, written in one transaction (so
 * a closed tab mid-write leaves the old value). Nothing here runs until called, so the main entry
 * stays importable in Node.
 */
import type { GaussianDistribution } from '../gaussian.js';
import type { Module } from '../nn/module.js';
import type { AnyTensor } from '../tensor.js';
import { describe } from '../validate.js';
import type { LoadStateDictOptions } from './state-dict.js';
import {
  deserializeWeights,
  type LoadWeightsResult,
  type SerializeWeightsOptions,
  serializeWeights,
} from './weights.js';

/** Where in IndexedDB: database `illia-ts` and object store `weights` unless given. */
export interface IndexedDBLocation {
  /** The database's name. Default `'illia-ts'`. */
  database?: string;
  /** The object store's name (made if missing). Default `'weights'`. */
  store?: string;
  /** The IndexedDB to use. Default `globalThis.indexedDB` (a window's or a worker's). */
  indexedDB?: IDBFactory;
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Opens the database with the store in it, adding the store (a version upgrade) if missing. */
async function openStore(where: string, location: IndexedDBLocation): Promise<IDBDatabase> {
  const { database = 'illia-ts', store = 'weights' } = location ?? {};
  const factory = location?.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) {
    throw new Error(
      `${where}: there is no IndexedDB here (a browser window or worker has one; in Node, use saveWeights/loadWeights from '@illia-ts/core/node')`,
    );
  }
  for (const [arg, value] of [
    ['database', database],
    ['store', store],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError(`${where}: ${arg} must be a non-empty string, got ${describe(value)}`);
    }
  }
  const open = (version?: number) => {
    const request =
      version === undefined ? factory.open(database) : factory.open(database, version);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
    };
    return done(request);
  };
  const db = await open();
  if (db.objectStoreNames.contains(store)) return db;
  const version = db.version + 1;
  db.close();
  return open(version);
}

function checkKey(where: string, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError(`${where}: key must be a non-empty string, got ${describe(key)}`);
  }
  return key;
}

/** Saves the weights of `module` (safetensors bytes, as `serializeWeights`) under `key`. */
export async function saveWeightsToIndexedDB(
  module: Module<AnyTensor> | GaussianDistribution,
  key: string,
  options: IndexedDBLocation & SerializeWeightsOptions = {},
): Promise<void> {
  const where = 'saveWeightsToIndexedDB';
  checkKey(where, key);
  const bytes = await serializeWeights(module, options);
  const db = await openStore(where, options);
  try {
    const transaction = db.transaction(options.store ?? 'weights', 'readwrite');
    const finished = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new Error(`${where}: aborted`));
    });
    transaction.objectStore(options.store ?? 'weights').put(bytes, key);
    await finished;
  } finally {
    db.close();
  }
}

/** Loads the weights saved under `key` into `module`, as `deserializeWeights` (strict by default). */
export async function loadWeightsFromIndexedDB(
  module: Module<AnyTensor> | GaussianDistribution,
  key: string,
  options: IndexedDBLocation & LoadStateDictOptions = {},
): Promise<LoadWeightsResult> {
  const where = 'loadWeightsFromIndexedDB';
  checkKey(where, key);
  const db = await openStore(where, options);
  let bytes: unknown;
  try {
    const store = options.store ?? 'weights';
    bytes = await done(db.transaction(store, 'readonly').objectStore(store).get(key));
  } finally {
    db.close();
  }
  if (bytes === undefined) {
    throw new Error(
      `${where}: no weights under key ${JSON.stringify(key)} in IndexedDB database ${JSON.stringify(options.database ?? 'illia-ts')}, store ${JSON.stringify(options.store ?? 'weights')}`,
    );
  }
  if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer)) {
    throw new TypeError(
      `${where}: the value under key ${JSON.stringify(key)} is ${describe(bytes)}, not safetensors bytes`,
    );
  }
  return deserializeWeights(module, bytes, options);
}
