import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEngine, ENGINE_ENV } from './engines.js';
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

  it('is cpu in Node when the app has not chosen one (tfjs-node is not installed here)', async () => {
    expect(process.env[ENGINE_ENV]).toBeUndefined();
    expect(tf.engine().backendName).toBeFalsy();
    expect(await defaultEngine()).toBe('cpu');
  });

  it('is the engine the app made active, not one that illia-ts made active', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const backend = await createTfjsBackend();
    expect(backend.engine).toBe('wasm');
    await createTfjsBackend({ engine: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    // cpu is active now because illia-ts made it so: the default stays the Node default.
    expect(await defaultEngine()).toBe('cpu');
  });
});
