import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import list from './projects.json' with { type: 'json' };

const executablePath = process.env.ILLIA_CHROMIUM ?? '/usr/bin/chromium';
const args = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'];

const ISOLATED = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function project(name: string, isolated = false): TestProjectInlineConfiguration {
  return {
    extends: true,
    server: isolated ? { headers: ISOLATED } : {},
    test: { name, include: [`src/${name}.test.ts`] },
  };
}

export default defineConfig({
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgpu',
      'onnxruntime-web',
    ],
  },
  test: {
    testTimeout: 120_000,
    fileParallelism: false,
    maxWorkers: 1,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({ launchOptions: { executablePath, args } }),
      instances: [{ browser: 'chromium' }],
      // Seven projects bundle and start Chromium at once; beside CI's other tasks on 2 cores the
      // 60 s default was too short once (no test ran), so wait longer before giving up.
      connectTimeout: 600_000,
    },
    projects: list.projects.map((p) => project(p.name, 'isolated' in p && p.isolated)),
  },
});
