import { OnnxBackend, ortEnv } from '@illia-ts/backend-onnx';
import { describeConformance } from '@illia-ts/conformance';
import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { expect, it } from 'vitest';

// Vite serves onnxruntime-web's WebAssembly at its own URL; ORT would look next to its bundle.
ortEnv.wasm.wasmPaths = { wasm };

it('the browser build runs on onnxruntime-web', () => {
  expect(ortEnv.versions.web).toMatch(/^1\./);
});

describeConformance({
  name: 'onnx-web',
  factory: () => new OnnxBackend({ executionProviders: ['cpu'] }),
});
