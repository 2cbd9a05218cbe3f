/**
 * The package as an app meets it: imported into a fresh Node process, with its registrations at
 * import and its environment variable. Each case runs a small ES module in its own `node` process
 * against a bundle of this package's source (its dependencies left as imports), so what the
 * process prints and how it exits are the app's, not vitest's.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_ENV } from './engines.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// Under the package's node_modules, so the bundle's imports resolve as the package's own do.
const work = join(root, 'node_modules', '.cache', `process-test-${process.pid}`);
const bundle = join(work, 'backend-tfjs.mjs');

beforeAll(async () => {
  mkdirSync(work, { recursive: true });
  await build({
    entryPoints: [join(root, 'src', 'index.ts')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    logLevel: 'silent',
  });
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `source` (an ES module; `BUNDLE` in it is replaced by the bundle's path) in a new node
 * process with `env` added to this one's environment (a value of `undefined` removes the variable).
 */
async function runNode(
  source: string,
  env: Record<string, string | undefined> = {},
  name = 'app',
): Promise<Exit> {
  const script = join(work, `${name}.mjs`);
  writeFileSync(script, source.replaceAll('BUNDLE', JSON.stringify(bundle)));
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  const child = spawn(process.execPath, [script], { cwd: root, env: childEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

/** No engine named by the environment this suite may run in. */
const noEngineEnv = { [ENGINE_ENV]: undefined, ILLIA_BACKEND: undefined };

describe('a fresh Node process', () => {
  // Row 16 of the hardening issue: Emscripten's handlers rethrew every later error (exit code 7).
  it('exits as node does (code 1, its own report) on an uncaught error after loading tfjs-wasm', async () => {
    const run = (fail: string) =>
      runNode(
        `import { setBackend, tensor } from '@illia-ts/core';
        await import(BUNDLE);
        await setBackend('tfjs-wasm');
        const t = tensor([1, 2]);
        console.log('read', Array.from(await t.data()).join(','));
        ${fail}`,
        noEngineEnv,
      );
    const thrown = await run(
      "setTimeout(() => { throw new Error('user error after loading tfjs-wasm'); });",
    );
    expect(thrown.stdout).toBe('read 1,2\n');
    expect(thrown.code).toBe(1);
    expect(thrown.stderr).toMatch(/^Error: user error after loading tfjs-wasm$/m);
    expect(thrown.stderr).not.toMatch(/tf-backend-wasm/);
    const rejected = await run("Promise.reject(new Error('late rejection'));");
    expect(rejected.stdout).toBe('read 1,2\n');
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/^Error: late rejection$/m);
    expect(rejected.stderr).not.toMatch(/tf-backend-wasm/);
  }, 60_000);

  it('keeps handlers the app installed before loading tfjs-wasm', async () => {
    const { code, stdout } = await runNode(
      `import { setBackend } from '@illia-ts/core';
      const mine = () => {};
      process.on('uncaughtException', mine);
      await import(BUNDLE);
      await setBackend('tfjs-wasm');
      console.log(process.listeners('uncaughtException').length, process.listeners('uncaughtException')[0] === mine, process.listeners('unhandledRejection').length);`,
      noEngineEnv,
    );
    expect(stdout).toBe('1 true 0\n');
    expect(code).toBe(0);
  }, 60_000);

  // Issue 16's race: the import starts the default `tfjs` backend; a setBackend that followed at
  // once overlapped its engine's start and ran cpu kernels on the wasm engine.
  it("setBackend('tfjs-wasm') right after the import waits for the starting backend", async () => {
    const { code, stdout, stderr } = await runNode(
      `await import('@tensorflow/tfjs-backend-wasm');
      const { add, getBackend, setBackend, tensor } = await import('@illia-ts/core');
      await import(BUNDLE);
      const wasm = await setBackend('tfjs-wasm');
      const x = tensor([1, 2, 3]);
      const y = add(x, x);
      console.log(wasm.name, wasm.engine, getBackend().name, Array.from(await y.data()).join(','));
      const cpu = await setBackend('tfjs');
      const z = add(tensor([1]), tensor([2]));
      console.log(cpu.engine, Array.from(await z.data()).join(','), Array.from(await add(y, x).data()).join(','));`,
      noEngineEnv,
    );
    expect(stderr).toBe('');
    expect(stdout).toBe('tfjs-wasm wasm tfjs-wasm 2,4,6\ncpu 3 3,6,9\n');
    expect(code).toBe(0);
  }, 60_000);

  it('the tfjs backend keeps running while the wasm engine starts', async () => {
    const { code, stdout, stderr } = await runNode(
      `const { add, ready, setBackend, tensor } = await import('@illia-ts/core');
      await import(BUNDLE);
      await ready();
      const x = tensor([1, 2]);
      const starting = setBackend('tfjs-wasm');
      // While the wasm module loads, ops on the current (cpu) backend run and read.
      const sums = [];
      for (let i = 0; i < 5; i++) {
        sums.push(Array.from(await add(x, x).data()).join(','));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const wasm = await starting;
      const y = add(tensor([3]), tensor([4]));
      console.log(sums.join(' '), wasm.engine, Array.from(await y.data()).join(','), Array.from(await add(x, x).data()).join(','));`,
      noEngineEnv,
    );
    expect(stderr).toBe('');
    expect(stdout).toBe('2,4 2,4 2,4 2,4 2,4 wasm 7 2,4\n');
    expect(code).toBe(0);
  }, 60_000);

  // Issue 16: the engine of a backend is its name's, not tfjs's pick among what was imported first.
  it('each backend runs on the engine its name says, whatever the order of the imports', async () => {
    const script = (engineFirst: boolean) => `
      const { getBackend, ready, registeredBackends, setBackend } = await import('@illia-ts/core');
      const tf = await import('@tensorflow/tfjs-core');
      ${engineFirst ? "await import('@tensorflow/tfjs-backend-wasm');" : ''}
      await import(BUNDLE);
      ${engineFirst ? '' : "await import('@tensorflow/tfjs-backend-wasm');"}
      const plain = await ready();
      const wasm = await setBackend('tfjs-wasm');
      const again = await setBackend('tfjs');
      console.log(registeredBackends().join(','), plain.name, plain.engine, wasm.engine, again === plain, getBackend().engine);`;
    const expected = 'tfjs,tfjs-wasm tfjs cpu wasm true cpu\n';
    for (const engineFirst of [true, false]) {
      const { code, stdout, stderr } = await runNode(script(engineFirst), noEngineEnv);
      expect(stderr).toBe('');
      expect(stdout).toBe(expected);
      expect(code).toBe(0);
    }
  }, 60_000);

  it('ILLIA_BACKEND=tfjs-wasm: the import starts tfjs-wasm, not tfjs; ready() waits for it', async () => {
    const { code, stdout, stderr } = await runNode(
      `const { getBackend, ready, tensor } = await import('@illia-ts/core');
      await import(BUNDLE);
      try { getBackend(); } catch (e) { console.log(e.message); }
      const b = await ready();
      const tf = await import('@tensorflow/tfjs-core');
      console.log(b.name, b.engine, Array.from(await tensor([1, 2]).data()).join(','), tf.engine().registry.cpu === undefined);`,
      { ...noEngineEnv, ILLIA_BACKEND: 'tfjs-wasm' },
    );
    expect(stderr).toBe('');
    expect(stdout).toBe(
      "no backend is ready: ILLIA_BACKEND is 'tfjs-wasm', which is still starting: call `await ready()` before the first op\n" +
        'tfjs-wasm wasm 1,2 true\n',
    );
    expect(code).toBe(0);
  }, 60_000);

  it('an engine that is not installed names the package to install (Node), with no ILLIA_TFJS_ENGINE advice', async () => {
    const { code, stdout } = await runNode(
      `const { registerBackend, setBackend } = await import('@illia-ts/core');
      const { createTfjsBackend } = await import(BUNDLE);
      registerBackend('tfjs-native', () => createTfjsBackend({ engine: 'tensorflow', name: 'tfjs-native' }));
      await setBackend('tfjs-native').catch((e) => console.log(e.message));`,
      noEngineEnv,
    );
    expect(stdout).toBe(
      "backend-tfjs: the tfjs engine 'tensorflow' is not installed: run npm i @tensorflow/tfjs-node\n",
    );
    expect(code).toBe(0);
  }, 60_000);

  // Row 11: a bad engine setting is an error that says what is wrong, not a quiet fallback.
  it(`a bad ${ENGINE_ENV} is reported by ready() and getBackend(), naming the variable, the value and what it accepts`, async () => {
    const source = `import { getBackend, ready } from '@illia-ts/core';
      await import(BUNDLE);
      await ready().then(
        (b) => console.log('ready', b.name),
        (e) => console.log('ready:', e.message),
      );
      try {
        getBackend();
      } catch (e) {
        console.log('getBackend:', e.message);
      }`;
    const unknown = await runNode(source, { ...noEngineEnv, [ENGINE_ENV]: 'quantum' });
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toContain(
      `ready: ready: backend 'tfjs' failed to start: RangeError: backend-tfjs: ${ENGINE_ENV} must name a tfjs engine (cpu, wasm, webgl, webgpu, tensorflow), got 'quantum'; unset it for the default engine\n`,
    );
    expect(unknown.stdout).toContain(
      `getBackend: no backend is ready: backend 'tfjs' failed to start: RangeError: backend-tfjs: ${ENGINE_ENV} must name a tfjs engine`,
    );
    const missing = await runNode(source, { ...noEngineEnv, [ENGINE_ENV]: 'tensorflow' });
    expect(missing.code).toBe(0);
    expect(missing.stdout).toContain(
      `ready: ready: backend 'tfjs' failed to start: Error: backend-tfjs: ${ENGINE_ENV} is 'tensorflow', whose package is missing (npm i @tensorflow/tfjs-node); set it to an installed engine`,
    );
    const good = await runNode(source, { ...noEngineEnv, [ENGINE_ENV]: 'wasm' });
    expect(good.stdout).toBe('ready tfjs\n');
  }, 60_000);
});
