import { describe, expect, it } from 'vitest';
import { BACKEND_API_VERSION, type Backend, REQUIRED_MEMBERS } from './backend.js';
import { requiredKernels } from './ops/registry.js';
import './ops/index.js';
import { backendPackage, getBackend, ready, registerBackend, setBackend } from './engine.js';
import { Generator, rng } from './random.js';
import { broadcastShapes } from './shape.js';
import { tensor } from './tensor.js';

// These run before any backend is registered in this process (core depends on no backend).
describe('before any backend is ready', () => {
  it('ops say to call await ready() or import a backend', () => {
    expect(() => getBackend()).toThrow(/await ready\(\)/);
    expect(() => tensor([1, 2])).toThrow(
      /import a backend package such as '@illia-ts\/backend-cpu'/,
    );
  });
});

describe('registry', () => {
  it('names the package to install for a backend that is not installed', async () => {
    await expect(setBackend('nope')).rejects.toThrow(
      "backend 'nope' is not installed: run npm i @illia-ts/backend-nope",
    );
    expect(backendPackage('tfjs-wasm')).toBe('@illia-ts/backend-tfjs');
  });

  it('ILLIA_BACKEND chooses the backend that ready() loads', async () => {
    process.env.ILLIA_BACKEND = 'absent';
    try {
      await expect(ready()).rejects.toThrow(
        /backend 'absent' is not installed.*@illia-ts\/backend-absent/,
      );
    } finally {
      delete process.env.ILLIA_BACKEND;
    }
  });

  it('refuses bad names and factories', () => {
    expect(() => registerBackend('Bad Name', () => ({}) as Backend)).toThrow(
      /name must be a backend name such as "cpu".*got "Bad Name"/,
    );
    expect(() => registerBackend('ok', 42 as never)).toThrow(/factory must be a function, got 42/);
  });

  it('refuses a backend of another API version, when it is set', async () => {
    const future = { apiVersion: BACKEND_API_VERSION + 1, name: 'future' } as unknown as Backend;
    expect(registerBackend('future', () => future)).toBe(true);
    expect(registerBackend('future', () => future)).toBe(false);
    await expect(setBackend('future')).rejects.toThrow(
      new RegExp(
        `implements Backend API version ${BACKEND_API_VERSION + 1}, but this @illia-ts/core expects version ${BACKEND_API_VERSION}`,
      ),
    );
    // A backend that failed is not made current.
    expect(() => getBackend()).toThrow(/no backend is ready/);
  });

  it('refuses a backend that lacks a required kernel, naming what it lacks', async () => {
    const partial = { apiVersion: BACKEND_API_VERSION, name: 'partial' } as Record<string, unknown>;
    for (const member of REQUIRED_MEMBERS) partial[member] = () => undefined;
    const kernels: Record<string, unknown> = {};
    for (const op of requiredKernels()) kernels[op] = () => undefined;
    delete kernels.matMul;
    delete kernels.conv2d;
    // An optional kernel (one with a composed fallback) may be absent.
    delete kernels.conv1d;
    partial.kernels = kernels;
    registerBackend('partial', () => partial as unknown as Backend);
    await expect(setBackend('partial')).rejects.toThrow(
      "backend 'partial' lacks the required kernels conv2d, matMul: install versions of @illia-ts/backend-partial and @illia-ts/core made for each other",
    );
    delete partial.read;
    registerBackend('partial2', () => partial as unknown as Backend);
    await expect(setBackend('partial2')).rejects.toThrow(
      /lacks read: every method of that version is required/,
    );
  });

  it('says why a backend that failed to start is not ready, instead of "none is ready"', async () => {
    registerBackend('misconfigured', () => {
      throw new RangeError('CpuBackend: threads must be a positive integer, got abc');
    });
    expect(() => getBackend()).toThrow(
      /no backend is ready: .*backend 'misconfigured' failed to start: RangeError: CpuBackend: threads must be a positive integer, got abc/,
    );
    // ready() reports the first that failed (registered earlier in this file) rather than quietly
    // going on with another backend.
    await expect(ready()).rejects.toThrow(/ready: backend '[a-z0-9-]+' failed to start: /);
  });

  it('reports a factory that throws', async () => {
    registerBackend('broken', () => {
      throw new Error('no GPU here');
    });
    await expect(setBackend('broken')).rejects.toThrow('no GPU here');
  });
});

describe('generators', () => {
  it('hand out consecutive keys of their seed', () => {
    const g = rng(7);
    expect(g.nextKey()).toEqual({ seed: 7, counter: 0 });
    expect(g.nextKey()).toEqual({ seed: 7, counter: 1 });
    expect(g.counter).toBe(2);
  });

  it('take seeds in [0, 2^32)', () => {
    expect(new Generator(2 ** 32 - 1).seed).toBe(2 ** 32 - 1);
    expect(() => rng(2 ** 32)).toThrow(RangeError);
    expect(() => rng(-1)).toThrow(/seed must be an integer in \[0, 2\^32\), got -1/);
    expect(() => rng('1' as never)).toThrow(TypeError);
  });
});

describe('shapes', () => {
  it('broadcast as NumPy', () => {
    expect(broadcastShapes([2, 1], [1, 3])).toEqual([2, 3]);
    expect(broadcastShapes([], [4])).toEqual([4]);
    expect(broadcastShapes([4, 1, 3], [2, 1])).toEqual([4, 2, 3]);
    expect(broadcastShapes([2], [3])).toBeNull();
  });
});
