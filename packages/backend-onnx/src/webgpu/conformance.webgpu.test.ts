/**
 * The conformance suite on ONNX Runtime's webgpu provider (SwiftShader where there is no GPU: see
 * vitest.config.ts). Skipped, saying why, when neither SwiftShader nor a WebGPU adapter is there
 * (a failure with ILLIA_WEBGPU_TESTS=required); with SwiftShader installed, a provider that does
 * not start fails.
 */
import { describeConformance } from '@illia-ts/conformance';
import { describe, it } from 'vitest';
import { OnnxBackend } from '../onnx-backend.js';
import { webgpuUnavailable } from './availability.js';

if ((await webgpuUnavailable('onnx-webgpu conformance')) !== null) {
  describe.skip('conformance: onnx-webgpu (no WebGPU adapter)', () => {
    it('needs SwiftShader or a GPU', () => {});
  });
} else {
  describeConformance({
    name: 'onnx-webgpu',
    factory: () => new OnnxBackend({ name: 'onnx-webgpu', executionProviders: ['webgpu'] }),
    // SwiftShader runs each shader on the CPU and compiles one per new graph: the training
    // tests take 20 s alone there, and more beside other test files on a 2-core machine.
    timeout: 300_000,
  });
}
