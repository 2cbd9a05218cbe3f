/**
 * The conformance suite on onnxruntime-web, the runtime of the browser build, here in Node (its
 * WebAssembly backend runs in both): `#ort` is swapped for the browser's module, so the same graph
 * writer and kernels run on the other runtime. The browser tests run the suite in Chromium too.
 */
import { describeConformance } from '@illia-ts/conformance';
import { registeredBackends } from '@illia-ts/core';
import { describe, expect, it, vi } from 'vitest';
import { ort, RUNTIME } from '#ort';
import { OnnxBackend } from './onnx-backend.js';

vi.mock('#ort', async () => await import('./ort/web.js'));

describe('the browser build’s runtime', () => {
  it('is onnxruntime-web, and the import registers onnx-webgpu beside onnx', async () => {
    expect(RUNTIME).toBe('onnxruntime-web');
    expect(ort.env.versions.web).toMatch(/^1\.30\./);
    await import('./index.js');
    expect(registeredBackends()).toContain('onnx-webgpu');
  });
});

describeConformance({
  name: 'onnx-web',
  factory: () => new OnnxBackend(),
});
