import { defineConfig } from 'vitest/config';

// The kernel tests sweep large inputs (fast-math over millions of floats, threads starting), which
// on a busy 2-core machine outlast vitest's default 5 s: the same limit as `npm test`.
export default defineConfig({ test: { testTimeout: 60_000 } });
