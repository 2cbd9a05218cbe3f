/**
 * `npm run screenshot -w @illia-ts/demo-web [-- backend steps out.png]`: trains on the page in
 * headless Chromium (`/usr/bin/chromium`, or ILLIA_CHROMIUM) and saves a screenshot
 * (default: cpu, 2000 steps, docs/demo-web.png at the repository root). Build first.
 */
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const [
  backend = 'cpu',
  steps = '2000',
  out = fileURLToPath(new URL('../../docs/demo-web.png', import.meta.url)),
] = process.argv.slice(2);
const server = await startServer({ port: 0 });
const browser = await chromium.launch({
  executablePath: process.env.ILLIA_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--enable-unsafe-swiftshader'],
});
try {
  const page = await browser.newPage({ viewport: { width: 960, height: 900 } });
  await page.goto(`${server.url}?backend=${backend}&steps=${steps}&start=1`);
  await page.waitForFunction(() => ['done', 'error'].includes(globalThis.demo?.status), null, {
    timeout: 900_000,
    polling: 500,
  });
  const state = await page.evaluate(() => globalThis.demo);
  if (state.status !== 'done') throw new Error(`the demo failed on ${backend}: ${state.error}`);
  await page.screenshot({ path: out, fullPage: true });
  console.log(
    `${out}: ${backend}${state.detail ? ` (${state.detail})` : ''}, ${steps} steps, ${state.stepsPerSecond.toFixed(1)} steps/s, std on data ${state.stdIn.toFixed(4)}, away ${state.stdOut.toFixed(4)} (ratio ${(state.stdOut / state.stdIn).toFixed(2)}), loss ${state.loss.toFixed(4)}`,
  );
} finally {
  await browser.close();
  await server.close();
}
