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
    // SwiftShader runs every dispatch on the CPU: the 300-step training test took 21 s alone on
    // 2 cores, 115 s beside other test files, and past 300 s beside a second SwiftShader
    // process. A guard against hangs, not a measurement.
    timeout: 900_000,
  });
}
