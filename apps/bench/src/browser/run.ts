/**
 * The browser runner (`--browser`): bundles `page.ts` with esbuild (core and the backends'
 * browser builds, onnxruntime-web's glue and .wasm beside it), serves it on 127.0.0.1 with the
 * headers of a cross-origin isolated page (COOP/COEP), and runs each subject in a fresh page of
 * headless Chromium (Debian's /usr/bin/chromium, or ILLIA_CHROMIUM) driven by playwright-core.
 * The page times with the Node workers' loop and returns the same rows.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserAdapterLabel } from '../gpu.js';
import { cellLabel, jobCells, type SubjectJob } from '../measure.js';
import type { Measurement } from '../results.js';
import type { BrowserDevice } from '../subjects/types.js';
import { packageVersion } from '../versions.js';
import type { PageAdapters } from './page.js';

/** Where Debian's `chromium` package puts the browser; `ILLIA_CHROMIUM` overrides it. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * The browser subjects `--browser` runs by default: tfjs on WebGL and WebGPU, each followed by
 * its ceiling (tfjs on that engine, used directly), and onnx on onnxruntime-web's WebAssembly and
 * its WebGPU provider (the backend names a page registers).
 */
export const BROWSER_BACKENDS = [
  'tfjs-webgl',
  'ceiling:tfjs-webgl',
  'tfjs-webgpu',
  'ceiling:tfjs-webgpu',
  'onnx',
  'onnx-webgpu',
] as const;

/** Every backend name a page of the runner registers (what `--browser-backends` takes). */
export const PAGE_BACKENDS = [
  'cpu',
  'tfjs',
  'tfjs-wasm',
  'tfjs-webgl',
  'tfjs-webgpu',
  'onnx',
  'onnx-webgpu',
  'ceiling:tfjs-webgl',
  'ceiling:tfjs-webgpu',
] as const;

/** A subject that timed out in its page: longer than any size of the default run takes. */
export const PAGE_TIMEOUT_MS = 20 * 60_000;

/** Thrown when the browser runner cannot start here: says what to install. */
export class BrowserUnavailable extends Error {
  override readonly name = 'BrowserUnavailable';
}

type Env = Readonly<Record<string, string | undefined>>;

/** The Chromium `--browser` drives; throws {@link BrowserUnavailable} naming what to install. */
export function findChromium(env: Env = process.env): string {
  const path = env.ILLIA_CHROMIUM || DEFAULT_CHROMIUM;
  if (!existsSync(path)) {
    throw new BrowserUnavailable(
      `--browser needs Chromium, and ${path} does not exist${env.ILLIA_CHROMIUM ? ' (ILLIA_CHROMIUM)' : ''}: install it (Debian/Ubuntu: \`sudo apt install chromium\`), or set ILLIA_CHROMIUM to a Chromium or Chrome binary. Playwright's own browser download is not used.`,
    );
  }
  return path;
}

/** The device a page backend runs on. */
export function browserDevice(backend: string): BrowserDevice {
  if (backend.endsWith('-webgpu')) return 'chromium:webgpu';
  if (backend.endsWith('-webgl')) return 'chromium:webgl';
  if (backend === 'onnx' || backend.endsWith('-wasm')) return 'chromium:wasm';
  return 'chromium:cpu';
}

/** The bench package's folder (from src/ under vitest, or dist/ when built). */
function benchRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === '@illia-ts/bench') return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('browser runner: cannot find the @illia-ts/bench package');
    dir = up;
  }
}

async function importOr<T>(specifier: string, what: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ specifier)) as T;
  } catch (error) {
    throw new BrowserUnavailable(
      `--browser needs ${specifier} (${what}): install it with \`npm i -D ${specifier}\` at the repository root (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

/** Bundles the page into a fresh folder with ONNX Runtime's files beside it; returns the folder. */
async function buildPage(): Promise<string> {
  const esbuild = await importOr<typeof import('esbuild')>('esbuild', 'to bundle the page');
  const root = benchRoot();
  const out = await mkdtemp(join(tmpdir(), 'illia-bench-page-'));
  await esbuild.build({
    entryPoints: [join(root, 'src/browser/page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outfile: join(out, 'page.js'),
    logLevel: 'error',
  });
  await writeFile(
    join(out, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>illia-ts bench</title><script type="module" src="page.js"></script>\n',
  );
  // onnxruntime-web is backend-onnx's dependency: found from there. Its glue (.mjs) is served as a
  // file, so that its thread workers load the glue and not the whole bundle.
  const require = createRequire(join(root, 'package.json'));
  const onnxDir = dirname(require.resolve('@illia-ts/backend-onnx/package.json'));
  const ortDist = dirname(require.resolve('onnxruntime-web', { paths: [onnxDir] }));
  mkdirSync(join(out, 'ort'));
  for (const file of ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs']) {
    copyFileSync(join(ortDist, file), join(out, 'ort', file));
  }
  return out;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Serves `root` on 127.0.0.1 (a free port), cross-origin isolated: ORT's threads need it. */
async function serve(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    const headers: Record<string, string> = {
      'Cache-Control': 'no-store',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    if (!file.startsWith(root)) {
      res.writeHead(403, headers).end();
      return;
    }
    try {
      const body = await readFile(file);
      headers['Content-Type'] = TYPES[extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404, headers).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/`, server };
}

/** What each browser device is, in words, from what the page said: the heading's adapter. */
export function describeBrowserDevices(
  version: string,
  page: PageAdapters,
): Record<BrowserDevice, string> {
  const browser = `Chromium ${version} (headless)`;
  const { webgl, webgpu } = page;
  const isolated = page.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated';
  return {
    'chromium:cpu': `${browser}, JavaScript on the CPU (${page.hardwareConcurrency} cores seen, ${isolated})`,
    'chromium:wasm': `${browser}, WebAssembly on the CPU (${page.hardwareConcurrency} cores seen, ${isolated})`,
    'chromium:webgl':
      'error' in webgl
        ? `${browser}, no WebGL: ${webgl.error}`
        : `${browser}, WebGL ${browserAdapterLabel('WebGL', [webgl.renderer])}`,
    'chromium:webgpu':
      'error' in webgpu
        ? `${browser}, no WebGPU adapter: ${webgpu.error}`
        : `${browser}, WebGPU ${browserAdapterLabel(
            'WebGPU',
            [webgpu.vendor, webgpu.architecture, webgpu.description],
            webgpu.fallback,
          )}`,
  };
}

/** What a browser run needs of the bench's options. */
export interface BrowserRun {
  /** Page backend names (default {@link BROWSER_BACKENDS}). */
  readonly backends: readonly string[];
  /** The jobs' common part: sizes, ops, setups and timing. */
  readonly job: Omit<SubjectJob, 'subject' | 'device'>;
  readonly env?: Env;
}

/** The jobs of a browser run, one per backend, in order. */
export function browserJobs(run: Pick<BrowserRun, 'backends' | 'job'>): SubjectJob[] {
  return run.backends.map((subject) => ({ ...run.job, subject, device: browserDevice(subject) }));
}

/**
 * Runs every browser subject, each in a fresh page, calling `emit` with each row as it comes and
 * `onJob` as a subject starts; returns what each browser device was (for the machine's devices).
 * Throws {@link BrowserUnavailable} when Chromium, playwright-core or esbuild is missing.
 */
export async function runBrowser(
  run: BrowserRun,
  emit: (row: Measurement) => void,
  onJob?: (job: SubjectJob) => void,
): Promise<Record<string, string>> {
  const executablePath = findChromium(run.env);
  const { chromium } = await importOr<typeof import('playwright-core')>(
    'playwright-core',
    'to drive Chromium',
  );
  const dir = await buildPage();
  const { url, server } = await serve(dir);
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--enable-unsafe-webgpu',
      '--enable-unsafe-swiftshader',
      '--use-angle=swiftshader',
      // gc() between measurements, as the Node workers' --expose-gc.
      '--js-flags=--expose-gc',
    ],
  });
  try {
    const probe = await browser.newPage();
    await probe.goto(url);
    await probe.waitForFunction(() => 'illiaBench' in window, null, { timeout: 60_000 });
    const adapters = await probe.evaluate(() => window.illiaBench.adapters());
    await probe.close();
    const devices = describeBrowserDevices(browser.version(), adapters);
    const jobs = browserJobs(run);
    for (const job of jobs) {
      onJob?.(job);
      const ceiling = job.subject.startsWith('ceiling:tfjs-');
      const tfEngine = `@tensorflow/tfjs-backend-${job.subject.slice('ceiling:tfjs-'.length)}`;
      const pkg = ceiling ? tfEngine : `@illia-ts/backend-${job.subject.split('-')[0]}`;
      const what = ceiling
        ? `@tensorflow/tfjs-core@${packageVersion('@tensorflow/tfjs-core')} on ${pkg}@${packageVersion(pkg)}`
        : `${pkg}@${packageVersion(pkg)} as '${job.subject}'`;
      const adapter = job.device.endsWith('webgl') || job.device.endsWith('webgpu');
      const engine = `${what} in Chromium ${browser.version()}${adapter ? `, ${devices[job.device as BrowserDevice].replace(/^Chromium \S+ \(headless\), /, '')}` : ''}`;
      await runPageJob(browser, url, job, engine, emit);
    }
    const used = new Set<string>(jobs.map((j) => j.device));
    return Object.fromEntries(Object.entries(devices).filter(([device]) => used.has(device)));
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

type Browser = Awaited<ReturnType<typeof import('playwright-core').chromium.launch>>;

/** One subject in a fresh page; cells it did not report become `error` rows with the reason. */
async function runPageJob(
  browser: Browser,
  url: string,
  job: SubjectJob,
  engine: string,
  emit: (row: Measurement) => void,
): Promise<void> {
  const seen = new Set<string>();
  const context = await browser.newContext();
  const page = await context.newPage();
  let pageError: string | undefined;
  page.on('pageerror', (error) => {
    pageError ??= error.message;
  });
  await page.exposeFunction('benchRow', (row: Measurement) => {
    seen.add(`${row.size}/${row.op}`);
    emit(row);
  });
  let failure: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'illiaBench' in window, null, { timeout: 60_000 });
    await Promise.race([
      page.evaluate(([j, e]) => window.illiaBench.run(j, e), [job, engine] as const),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer from the page in ${PAGE_TIMEOUT_MS / 60_000} min`)),
          PAGE_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    failure = `${(error as Error).message.split('\n')[0]}${pageError ? ` (page: ${pageError})` : ''}`;
  } finally {
    clearTimeout(timer);
    await context.close();
  }
  for (const cell of jobCells(job)) {
    if (seen.has(`${cell.size}/${cell.op}`)) continue;
    const label = cellLabel(job, cell);
    emit({
      subject: job.subject,
      role: job.subject.startsWith('ceiling:') ? 'ceiling' : 'backend',
      device: job.device,
      engine,
      op: cell.op,
      size: cell.size,
      ...(label === undefined ? {} : { label }),
      status: 'error',
      reason: failure ?? pageError ?? 'the page finished without this row',
    });
  }
}
