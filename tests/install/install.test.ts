/**
 * What a user does: `npm pack` core and backend-cpu, install the tarballs into an empty project
 * outside the repository, and run the README's quick start there, verbatim.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'illia-ts-install-'));
const app = join(work, 'app');

/** The code block between the `name` markers of README.md. */
function readmeBlock(name: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const pattern = new RegExp(
    `<!-- ${name}:start -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`,
  );
  const section = pattern.exec(readme);
  if (!section?.[1]) throw new Error(`README.md has no code block between the ${name} markers`);
  return section[1];
}

function node(script: string, env: Record<string, string> = {}) {
  writeFileSync(join(app, 'script.mjs'), script);
  return spawnSync(process.execPath, ['script.mjs'], {
    cwd: app,
    encoding: 'utf8',
    // One cpu thread: under CI's load a worker thread can start later than the pool waits, and
    // its warning would fill stderr (backend-cpu's own tests cover the threads).
    env: { ...process.env, ILLIA_CPU_THREADS: '1', ...env, ILLIA_BACKEND: env.ILLIA_BACKEND ?? '' },
  });
}

describe('installed from npm pack, outside the repository', () => {
  beforeAll(() => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    for (const pkg of ['packages/core', 'packages/backend-cpu']) {
      execFileSync(npm, ['pack', '--silent', '--pack-destination', work], { cwd: join(root, pkg) });
    }
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(2);
    execFileSync('mkdir', [app]);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    );
    execFileSync(
      npm,
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--silent',
        ...tarballs.map((t) => join(work, t)),
      ],
      { cwd: app },
    );
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships ESM with types behind the exports map, and nothing else', () => {
    for (const pkg of ['core', 'backend-cpu']) {
      const dir = join(app, 'node_modules', '@illia-ts', pkg);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      // backend-cpu has a browser build (Web Workers instead of worker_threads).
      expect(manifest.exports['.']).toEqual({
        types: './dist/index.d.ts',
        ...(pkg === 'backend-cpu' ? { browser: './dist/browser.js' } : {}),
        import: './dist/index.js',
      });
      expect(readdirSync(join(dir, 'dist'))).toContain('index.d.ts');
      for (const entry of readdirSync(dir)) {
        expect(['dist', 'package.json', 'README.md', 'LICENSE']).toContain(entry);
      }
    }
  });

  it("runs the README's quick start verbatim", () => {
    const run = node(readmeBlock('quickstart'));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\[ 3, 4 \]/);
    const logProb = /logProb (-?[\d.]+)/.exec(run.stdout);
    expect(Number.isFinite(Number(logProb?.[1]))).toBe(true);
  });

  it("runs the README's learning example verbatim", () => {
    const run = node(readmeBlock('learning'));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('trained 8 variables');
  });

  it('ready() finds the installed backend without an import', () => {
    const run = node(
      "import { ready, tensor } from '@illia-ts/core';\nconst b = await ready();\nconsole.log(b.name, (await tensor([1, 2]).data()).join(','));\n",
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('cpu 1,2');
  });

  it('a backend that is not installed names the package to install', () => {
    const run = node("import { ready } from '@illia-ts/core';\nawait ready();\n", {
      ILLIA_BACKEND: 'onnx',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(
      /backend 'onnx' is not installed: run npm i @illia-ts\/backend-onnx/,
    );
  });
});
