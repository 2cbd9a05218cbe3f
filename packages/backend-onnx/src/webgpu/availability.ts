/**
 * Whether the webgpu tests can run here, for their files: a WebGPU adapter (SwiftShader set up by
 * vitest.config.ts, or a GPU). Not part of the package's API.
 */
import { OnnxBackend } from '../onnx-backend.js';
import { findSwiftShader } from './swiftshader.js';

/** `ILLIA_WEBGPU_TESTS=required` (CI, where SwiftShader is installed) fails instead of skipping. */
export const WEBGPU_TESTS_ENV = 'ILLIA_WEBGPU_TESTS';

/**
 * Null where the webgpu provider starts, or where SwiftShader is installed (a provider that then
 * fails to start is a failure the tests show). Else why not, printed as `<what> skipped: …`; with
 * `ILLIA_WEBGPU_TESTS=required` it throws instead, so the file fails.
 */
export async function webgpuUnavailable(what: string): Promise<string | null> {
  const failure = await OnnxBackend.create({ executionProviders: ['webgpu'] }).then(
    () => null,
    (error: Error) => error.message,
  );
  const swiftShader = findSwiftShader();
  if (failure === null || typeof swiftShader !== 'string') return null;
  const reason = `${swiftShader}; ${failure}`;
  if (process.env[WEBGPU_TESTS_ENV] === 'required') {
    throw new Error(
      `${what}: ${WEBGPU_TESTS_ENV}=required, but there is no WebGPU adapter: ${reason}`,
    );
  }
  console.warn(`${what} skipped: ${reason}`);
  return reason;
}
