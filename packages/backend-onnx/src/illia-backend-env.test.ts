/**
 * Issue 16: `ILLIA_BACKEND=onnx` with an app that imports another backend first (the README's
 * quick start imports the cpu backend) ran on that other backend, silently. Now the one the
 * variable names is current whatever the order of the imports, and before it is registered ops
 * say so. Its own file: the package registers `onnx` once per process.
 */
import {
  createReferenceBackend,
  getBackend,
  ready,
  registerBackend,
  registeredBackends,
} from '@illia-ts/core';
import { afterAll, expect, it } from 'vitest';

const fromShell = process.env.ILLIA_BACKEND;
afterAll(() => {
  if (fromShell === undefined) delete process.env.ILLIA_BACKEND;
  else process.env.ILLIA_BACKEND = fromShell;
});

it('ILLIA_BACKEND=onnx wins over a backend imported before it', async () => {
  process.env.ILLIA_BACKEND = 'onnx';
  registerBackend('first', () => createReferenceBackend('first'));
  expect(() => getBackend()).toThrow(
    "no backend is ready: ILLIA_BACKEND is 'onnx', which the app has not imported (registered: first): call `await ready()` before the first op (it imports @illia-ts/backend-onnx), or unset ILLIA_BACKEND",
  );
  await import('./index.js');
  // The cpu provider starts synchronously: current at import.
  expect(getBackend().name).toBe('onnx');
  expect((await ready()).name).toBe('onnx');
  // onnx-webgpu is the browser build's (in Node every registered backend is one that can start).
  expect(registeredBackends()).toEqual(['first', 'onnx']);
});
