import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backendEngines, defaultEngine, ENGINE_ENV, engineFromEnv } from './engines.js';
import { createTfjsBackend } from './tfjs-backend.js';

// Its own file, so its own process: no engine is active in tfjs when it starts.
describe('the default engine', () => {
  // These tests are about the default without the variable, whatever the shell running them set.
  const fromShell = process.env[ENGINE_ENV];
  beforeAll(() => {
    delete process.env[ENGINE_ENV];
  });
  afterAll(() => {
    if (fromShell !== undefined) process.env[ENGINE_ENV] = fromShell;
  });

  it('is cpu in Node when ILLIA_TFJS_ENGINE is unset', async () => {
    expect(process.env[ENGINE_ENV]).toBeUndefined();
    expect(tf.engine().backendName).toBeFalsy();
    expect(defaultEngine()).toBe('cpu');
  });

  it('is cpu whatever engine the app made active (other engines have backends of their own)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const backend = await createTfjsBackend();
    expect(backend.engine).toBe('cpu');
    expect(defaultEngine()).toBe('cpu');
    const wasm = await createTfjsBackend({ engine: 'wasm', name: 'tfjs-wasm' });
    expect(wasm.engine).toBe('wasm');
    expect(defaultEngine()).toBe('cpu');
  });
});

describe('the backends this package registers', () => {
  it('in Node: tfjs (cpu engine) and tfjs-wasm, the engines that run there', () => {
    expect(backendEngines()).toEqual({ tfjs: 'cpu', 'tfjs-wasm': 'wasm' });
  });

  it('in a page (no process): the GPU engines too, and no ILLIA_TFJS_ENGINE', () => {
    vi.stubGlobal('process', { env: { [ENGINE_ENV]: 'wasm' } });
    try {
      expect(backendEngines()).toEqual({
        tfjs: 'cpu',
        'tfjs-wasm': 'wasm',
        'tfjs-webgl': 'webgl',
        'tfjs-webgpu': 'webgpu',
      });
      expect(engineFromEnv()).toBeUndefined();
      expect(defaultEngine()).toBe('cpu');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
