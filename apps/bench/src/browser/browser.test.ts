import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserAdapterLabel } from '../gpu.js';
import { markdownReport, parseArgs, runBench, textTable } from '../index.js';
import { deviceLabel } from '../report/format.js';
import { BROWSER_BACKENDS, DEFAULT_CHROMIUM, describeBrowserDevices, findChromium } from './run.js';

const dir = await mkdtemp(join(tmpdir(), 'illia-bench-browser-'));
const chromium = process.env.ILLIA_CHROMIUM || DEFAULT_CHROMIUM;
const hasChromium = existsSync(chromium);
if (!hasChromium) {
  console.warn(
    `browser runner test skipped: no Chromium at ${chromium} (Debian: sudo apt install chromium; or set ILLIA_CHROMIUM)`,
  );
}

function options(args: string[]) {
  const parsed = parseArgs(args, dir);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.options;
}

describe('the browser runner: options and labels', () => {
  it('--browser runs the four page backends and no Node subject unless named', () => {
    const alone = options(['--browser']);
    expect(alone.browser).toEqual([...BROWSER_BACKENDS]);
    expect(alone.backends).toEqual([]);
    expect(alone.ceilings).toEqual([]);
    const withNode = options(['--browser', '--backends', 'cpu', '--ceilings', 'js']);
    expect(withNode.backends).toEqual(['cpu']);
    expect(withNode.ceilings).toEqual(['ceiling:js']);
    expect(options(['--browser-backends', 'onnx']).browser).toEqual(['onnx']);
    expect(options([]).browser).toBeUndefined();
    expect(() => options(['--browser-backends', 'onnx-cuda'])).toThrow(/expected some of cpu/);
  });

  it('a fallback or SwiftShader adapter is labelled a software GPU, a real one is not', () => {
    const page = {
      webgl: {
        renderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))',
        vendor: '',
      },
      webgpu: {
        vendor: 'google',
        architecture: 'swiftshader',
        device: '',
        description: '',
        fallback: true,
      },
      crossOriginIsolated: true,
      hardwareConcurrency: 2,
      userAgent: '',
      backends: [],
    };
    const devices = describeBrowserDevices('150.0', page);
    expect(deviceLabel(devices, 'chromium:webgl')).toBe(
      'chromium:webgl, software GPU (SwiftShader)',
    );
    expect(deviceLabel(devices, 'chromium:webgpu')).toBe(
      'chromium:webgpu, software GPU (SwiftShader)',
    );
    expect(deviceLabel(devices, 'chromium:wasm')).toBe('chromium:wasm');
    // A fallback adapter of another name is still software.
    expect(browserAdapterLabel('WebGPU', ['acme', 'gpu9'], true)).toMatch(
      /^adapter software \(a software GPU: WebGPU on the CPU/,
    );
    const real = browserAdapterLabel('WebGPU', ['nvidia', 'ada', 'NVIDIA RTX 4090'], false);
    expect(real).not.toMatch(/software/);
    expect(deviceLabel({ 'chromium:webgpu': `Chromium, WebGPU ${real}` }, 'chromium:webgpu')).toBe(
      'chromium:webgpu',
    );
  });

  it('without Chromium, --browser says what to install before running anything', async () => {
    const saved = process.env.ILLIA_CHROMIUM;
    process.env.ILLIA_CHROMIUM = join(dir, 'no-chromium-here');
    try {
      expect(() => findChromium()).toThrow(/needs Chromium.*apt install chromium.*ILLIA_CHROMIUM/);
      await expect(
        runBench(options(['--browser', '--sizes', '100', '--json', 'none'])),
      ).rejects.toThrow(/needs Chromium/);
    } finally {
      if (saved === undefined) delete process.env.ILLIA_CHROMIUM;
      else process.env.ILLIA_CHROMIUM = saved;
    }
  });
});

describe.skipIf(!hasChromium)(
  `the browser runner in headless Chromium (${hasChromium ? chromium : `skipped: no Chromium at ${chromium}; apt install chromium or set ILLIA_CHROMIUM`})`,
  () => {
    it('measures tfjs-webgl at a tiny size: checked, timed rows that say the adapter', async () => {
      const report = await runBench(
        options(
          ['--browser-backends', 'tfjs-webgl,ceiling:tfjs-webgl', '--sizes', '1000']
            .concat(['--ops', 'sample,logProb,sample+logProb,trainStep', '--hidden', '4'])
            .concat(['--batch', '8', '--repeats', '2', '--warmup', '1', '--warmup-ms', '0'])
            .concat(['--min-sample-ms', '1', '--max-seconds', '0.05'])
            .concat(['--json', 'none', '--md', 'none', '--svg', 'none']),
        ),
      );
      const ceiling = report.measurements.filter((r) => r.subject === 'ceiling:tfjs-webgl');
      const rows = report.measurements.filter((r) => r.subject === 'tfjs-webgl');
      // tfjs on WebGL used directly: the same Gaussian ops, and no training step of its own.
      expect(ceiling.map((r) => `${r.op}:${r.status}`).sort()).toEqual([
        'logProb:ok',
        'sample:ok',
        'sampleLogProb:ok',
        'trainStep:n/a',
      ]);
      expect(rows.map((r) => r.op).sort()).toEqual([
        'logProb',
        'sample',
        'sampleLogProb',
        'trainStep',
      ]);
      const device = report.machine.devices['chromium:webgl'] ?? '';
      expect(device).toMatch(/^Chromium \S+ \(headless\), WebGL adapter /);
      const software = /a software GPU/.test(device);
      // Debian's Chromium with --use-angle=swiftshader renders WebGL on SwiftShader.
      if (/swiftshader/i.test(device)) expect(software).toBe(true);
      for (const row of rows) {
        expect(row, `${row.op}: ${row.reason}`).toMatchObject({
          subject: 'tfjs-webgl',
          device: 'chromium:webgl',
          status: 'ok',
        });
        expect(row.engine).toMatch(/@illia-ts\/backend-tfjs@\S+ as 'tfjs-webgl' in Chromium /);
        expect(row.engine).toContain(software ? 'a software GPU' : 'WebGL');
        expect(Number.isFinite(row.throughput)).toBe(true);
        expect(row.throughput).toBeGreaterThan(0);
        expect(row.medianMs).toBeGreaterThan(0);
      }
      // The float64 checks ran in the page before timing; each Gaussian row has a ratio to tfjs
      // on WebGL used directly, measured in its own page.
      for (const row of rows.filter((r) => r.op !== 'trainStep')) {
        expect(row.check?.relError).toBeLessThan(1e-4);
        expect(row.ceiling).toBe('ceiling:tfjs-webgl');
        expect(Number.isFinite(row.ratio)).toBe(true);
        expect(row.ratio).toBeGreaterThan(0);
      }
      expect(rows.find((r) => r.op === 'trainStep')?.trainCheck).toBeDefined();
      const heading = software ? 'chromium:webgl, software GPU' : 'chromium:webgl';
      expect(textTable(report)).toContain(`sample [${heading}`);
      expect(markdownReport(report, null)).toContain(heading);
    }, 300_000);
  },
);
