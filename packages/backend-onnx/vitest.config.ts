import { defineConfig } from 'vitest/config';
import { swiftShaderEnv } from './src/webgpu/swiftshader.js';

/**
 * Two projects: `cpu`, every test file but the webgpu ones, and `webgpu`, the `*.webgpu.test.ts`
 * files in processes of their own (pool `forks`) whose environment points ONNX Runtime's WebGPU
 * provider at SwiftShader, a Vulkan driver on the CPU, where it is installed (Debian's `chromium`
 * package). The variables must be there when the process starts (the dynamic loader reads
 * LD_LIBRARY_PATH once), hence a project's `env`, not `process.env` in a test.
 */
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'cpu', include: ['src/**/*.test.ts'], exclude: ['src/**/*.webgpu.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'webgpu',
          include: ['src/**/*.webgpu.test.ts'],
          pool: 'forks',
          env: swiftShaderEnv(),
        },
      },
    ],
  },
});
