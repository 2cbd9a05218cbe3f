/**
 * The cpu backend in headless Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core):
 * in a cross-origin isolated page (COOP and COEP headers) kernels run on Web Workers and give the
 * bits of one thread; in a page that is not isolated there is one thread. Skipped, saying so,
 * where Chromium is absent.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedWebWorker } from '../build/embed-web-worker.js';

const CHROMIUM = process.env.ILLIA_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const message = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set ILLIA_CHROMIUM)`;
  // CI (.ci/run) sets ILLIA_BROWSER_TESTS=required: there a missing browser is a failure.
  if (process.env.ILLIA_BROWSER_TESTS === 'required') {
    throw new Error(`backend-cpu browser tests: ${message}, and ILLIA_BROWSER_TESTS=required`);
  }
  console.warn(`backend-cpu browser tests skipped: ${message}`);
}

interface Run {
  threads: number;
  isolated: boolean;
  splitJobs: number;
  rangesOnWorkers: number;
  results: string[];
}

type Page = { goto(url: string): Promise<unknown>; evaluate<T>(f: string): Promise<T> };
type Browser = { newPage(): Promise<Page>; close(): Promise<void> };

describe('a browser bundle', () => {
  it('of core and backend-cpu takes the browser build, with no Node-only import', async () => {
    // As an app would: through the package's exports (the built dist), platform browser, where
    // esbuild refuses any `node:` or other Node built-in import.
    const result = await build({
      stdin: {
        contents: "import '@illia-ts/core'; import '@illia-ts/backend-cpu';",
        resolveDir: fileURLToPath(new URL('..', import.meta.url)),
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((path) => /(^|\/)dist\/browser\.js$/.test(path))).toHaveLength(1);
    expect(inputs.filter((path) => path.startsWith('node:'))).toEqual([]);
    // The worker script travels inside the bundle (started from a blob), not as a file.
    expect(result.outputFiles[0]?.text).toMatch(/webKernelWorkerSource = ['"`][^\n]{10000,}/);
  });
});

describe.skipIf(!haveChromium)('cpu in Chromium', { timeout: 180_000 }, () => {
  let server: Server;
  let base: string;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./browser-test/page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      plugins: [embedWebWorker()],
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]?.text ?? '';
    const html =
      '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>';
    server = createServer((req, res) => {
      const isolated = req.url?.startsWith('/isolated/') === true;
      const headers: Record<string, string> = isolated
        ? {
            'Cross-Origin-Opener-Policy': 'same-origin',
            'Cross-Origin-Embedder-Policy': 'require-corp',
          }
        : {};
      if (req.url?.endsWith('/page.js')) {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(script);
      } else {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(html);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = (await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox'],
    })) as unknown as Browser;
    // Bundling and starting Chromium take a while on a loaded machine.
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  }, 60_000);

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage();
    (page as unknown as { on(e: string, f: (x: unknown) => void): void }).on('pageerror', (e) =>
      errors.push(String(e)),
    );
    await page.goto(`${base}${path}`);
    await page.evaluate(
      'new Promise((r) => { const t = () => globalThis.runCpu ? r() : setTimeout(t, 10); t(); })',
    );
    return page;
  }

  it('isolated: kernels split between Web Workers, bitwise the same as one thread', async () => {
    const page = await open('/isolated/');
    const one = await page.evaluate<Run>('runCpu(1)');
    const two = await page.evaluate<Run>('runCpu(2)');
    expect(one.isolated).toBe(true);
    expect(one.threads).toBe(1);
    expect(one.splitJobs).toBe(0);
    expect(two.threads).toBe(2);
    expect(two.splitJobs).toBeGreaterThan(10);
    // The workers computed some of them (the page's thread runs a range whose worker is late).
    expect(two.rangesOnWorkers).toBeGreaterThan(0);
    expect(two.results.length).toBe(one.results.length);
    two.results.forEach((r, i) => {
      expect(r === one.results[i], `result ${i} differs between 1 and 2 threads`).toBe(true);
    });
    // And those of Node: the same page code, run here.
    await import('./browser-test/page.js');
    const node = await (globalThis as unknown as { runCpu(t: number): Promise<Run> }).runCpu(1);
    expect(node.results.length).toBe(one.results.length);
    node.results.forEach((r, i) => {
      expect(r === one.results[i], `result ${i} differs between Node and Chromium`).toBe(true);
    });
    expect(errors).toEqual([]);
  });

  it('not isolated: one thread, whatever is asked, and the same bits', async () => {
    const isolated = await (await open('/isolated/')).evaluate<Run>('runCpu(1)');
    const page = await open('/plain/');
    const run = await page.evaluate<Run>('runCpu(2)');
    expect(run.isolated).toBe(false);
    expect(run.threads).toBe(1);
    expect(run.splitJobs).toBe(0);
    expect(run.results).toEqual(isolated.results);
    expect(errors).toEqual([]);
  });
});
