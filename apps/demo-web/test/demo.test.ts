/**
 * Drives the demo page in headless Chromium (Debian's `/usr/bin/chromium`, or `ILLIA_CHROMIUM`)
 * with playwright-core: every backend its picker offers trains the model, ends with no live
 * tensors, and its predictive band is wider away from the data than on it. Skipped, saying so,
 * where Chromium is absent.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../serve.mjs';

const CHROMIUM = process.env.ILLIA_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const message = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set ILLIA_CHROMIUM)`;
  // CI (.ci/run) sets ILLIA_BROWSER_TESTS=required: there a missing browser is a failure.
  if (process.env.ILLIA_BROWSER_TESTS === 'required') {
    throw new Error(`demo-web tests: ${message}, and ILLIA_BROWSER_TESTS=required`);
  }
  console.warn(`demo-web tests skipped: ${message}`);
}
/** Steps per backend: enough for the band to open up away from the data. */
const STEPS = Number(process.env.ILLIA_DEMO_STEPS ?? 500);
/** The grid is x = −0.2 + 0.01 i; these are its points on the data and far from it. */
const ON_DATA = [20, 70] as const; // x ∈ [0, 0.5]
const FAR = [120, 140] as const; // x ∈ [1.0, 1.2]

interface DemoState {
  status: string;
  detail: string;
  error: string | null;
  stepsPerSecond: number | null;
  stdIn: number | null;
  stdOut: number | null;
  liveTensors: number | null;
  loss: number | null;
  available: Record<string, string | null>;
  std: number[] | null;
}

/** The picker's entries, in its order. */
const CHOICES = [
  'cpu',
  'tfjs-cpu',
  'tfjs-wasm',
  'tfjs-webgl',
  'tfjs-webgpu',
  'onnx',
  'onnx-webgpu',
];

const mean = (values: number[], [lo, hi]: readonly [number, number]) =>
  values.slice(lo, hi + 1).reduce((s, v) => s + v, 0) / (hi - lo + 1);

describe.skipIf(!haveChromium)('the demo page in Chromium', { timeout: 900_000 }, () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startServer>>;
  const figures: Record<string, string> = {};

  beforeAll(async () => {
    // The page as it is now (the test task runs after the build, but vitest may run alone).
    await promisify(execFile)(process.execPath, [
      fileURLToPath(new URL('../build.mjs', import.meta.url)),
    ]);
    server = await startServer({ port: 0 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--enable-unsafe-swiftshader'],
    });
    // Bundling and starting Chromium take a while on a loaded machine.
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (Object.keys(figures).length > 0) {
      console.log(`demo-web, ${STEPS} steps:\n${Object.values(figures).join('\n')}`);
    }
  }, 60_000);

  async function open(query: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Offline: every request goes to the page's own server (blob: and data: URLs aside).
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(server.url) && !/^(blob|data):/.test(url)) {
        errors.push(`request outside the page's server: ${url}`);
      }
    });
    await page.goto(`${server.url}${query}`);
    return { page, errors };
  }

  it('offers every backend, greys out those the page lacks with a reason, and is isolated', async () => {
    const { page, errors } = await open('');
    await page.waitForFunction(
      () => Object.keys((globalThis as { demo?: DemoState }).demo?.available ?? {}).length === 7,
    );
    const options = await page.$$eval('#backend option', (all) =>
      (all as HTMLOptionElement[]).map((o) => ({
        value: o.value,
        disabled: o.disabled,
        title: o.title,
      })),
    );
    expect(options.map((o) => o.value)).toEqual(CHOICES);
    for (const o of options) expect(o.disabled).toBe(o.title !== '');
    // cpu, tfjs on cpu and wasm, and onnx on wasm run in any Chromium.
    for (const i of [0, 1, 2, 5]) expect(options[i]?.disabled).toBe(false);
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  for (const backend of CHOICES) {
    it(`${backend}: trains, frees every tensor, and the band widens away from the data`, async (ctx) => {
      const { page, errors } = await open(`?backend=${backend}&steps=${STEPS}`);
      await page.waitForFunction(
        () => Object.keys((globalThis as { demo?: DemoState }).demo?.available ?? {}).length === 7,
      );
      const why = await page.evaluate(
        (name) => (globalThis as unknown as { demo: DemoState }).demo.available[name],
        backend,
      );
      if (why !== null) {
        await page.close();
        ctx.skip(`${backend} is greyed out in this Chromium: ${why}`);
        return;
      }
      await page.click('#train');
      await page.waitForFunction(
        () => ['done', 'error'].includes((globalThis as { demo?: DemoState }).demo?.status ?? ''),
        null,
        { timeout: 600_000, polling: 500 },
      );
      const state = await page.evaluate(() => (globalThis as unknown as { demo: DemoState }).demo);
      const hardwareConcurrency = await page.evaluate(() => navigator.hardwareConcurrency);
      await page.close();
      expect(state.error).toBe(null);
      expect(state.status).toBe('done');
      expect(state.liveTensors).toBe(0);
      expect(state.stepsPerSecond).toBeGreaterThan(0);
      const std = state.std as number[];
      expect(std).toHaveLength(141);
      // Wider away from the data: on average, and at the far end against the data's points.
      expect(state.stdOut as number).toBeGreaterThan(1.5 * (state.stdIn as number));
      expect(mean(std, FAR)).toBeGreaterThan(2 * mean(std, ON_DATA));
      if (backend === 'cpu') {
        // Cross-origin isolated: one thread per core the page reports, at most 8 (and 1 on 1 core).
        const cores = Math.min(8, hardwareConcurrency);
        expect(state.detail).toBe(`${cores} thread${cores > 1 ? 's' : ''}`);
      }
      expect(errors).toEqual([]);
      figures[backend] =
        `  ${backend.padEnd(12)} ${state.stepsPerSecond?.toFixed(1).padStart(6)} steps/s  std on data ${state.stdIn?.toFixed(4)}  away ${state.stdOut?.toFixed(4)}  ratio ${((state.stdOut as number) / (state.stdIn as number)).toFixed(2)}  loss ${state.loss?.toFixed(4)}${state.detail ? `  (${state.detail})` : ''}`;
    });
  }
});
