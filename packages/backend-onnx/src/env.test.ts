/**
 * Importing the package with a bad ILLIA_ONNX_* setting: the registered `onnx` fails to start, and
 * core's ready() and getBackend() report why (the variable, its value, what it accepts) instead of
 * "no backend is ready". Its own file: the package registers `onnx` once per process.
 */
import { getBackend, ready } from '@illia-ts/core';
import { expect, it } from 'vitest';

it('reports a bad ILLIA_ONNX_PROVIDERS through ready() and getBackend()', async () => {
  delete process.env.ILLIA_BACKEND;
  process.env.ILLIA_ONNX_PROVIDERS = 'gpu,cpu';
  try {
    await import('./index.js');
  } finally {
    delete process.env.ILLIA_ONNX_PROVIDERS;
  }
  const why =
    'ILLIA_ONNX_PROVIDERS="gpu,cpu": "gpu" is not an execution provider; give a comma-separated list of cpu, webgpu, cuda (such as "cuda,cpu")';
  await expect(ready()).rejects.toThrow(
    `ready: backend 'onnx' failed to start: RangeError: ${why}`,
  );
  expect(() => getBackend()).toThrow(
    `no backend is ready: backend 'onnx' failed to start: RangeError: ${why}`,
  );
});
