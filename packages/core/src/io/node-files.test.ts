/** `@illia-ts/core/node`: weights files, written atomically; and the main entry stays browser-safe. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Linear } from '../nn/linear.js';
import { ReLU, Sequential } from '../nn/sequential.js';
import { loadWeights, saveWeights, writeFileAtomic } from '../node.js';
import { memory, tensor } from '../tensor.js';
import { SafetensorsError } from './safetensors.js';
import { stateDict } from './state-dict.js';
import { useTestBackend } from './test-backend.js';

const work = mkdtempSync(join(tmpdir(), 'illia-ts-io-'));
const model = (seed: number) =>
  new Sequential(new Linear(3, 5, { rng: seed }), new ReLU(), new Linear(5, 2, { rng: seed + 1 }));

async function values(m: Sequential): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [key, t] of Object.entries(stateDict(m))) {
    out[key] = Array.from(new Uint32Array((await t.data()).buffer));
    t.dispose();
  }
  return out;
}

const temporaries = () => readdirSync(work).filter((f) => f.endsWith('.tmp'));

describe('saveWeights and loadWeights', () => {
  beforeAll(async () => {
    await useTestBackend();
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('save, then load into the same architecture: bitwise, with the metadata', async () => {
    const live = memory().numTensors;
    const a = model(1);
    const x = tensor([1, -2, 3], [1, 3]);
    a.forward(x).dispose();
    const path = join(work, 'model.safetensors');
    await saveWeights(a, path, { metadata: { epoch: '3' } });
    const b = model(9);
    const result = await loadWeights(b, path);
    expect(result.missingKeys).toEqual([]);
    expect(result.metadata.epoch).toBe('3');
    expect(JSON.parse(result.metadata.illia_ts_model!).children['0'].type).toBe('Linear');
    expect(await values(b)).toEqual(await values(a));
    expect(temporaries()).toEqual([]);
    x.dispose();
    a.dispose();
    b.dispose();
    expect(memory().numTensors).toBe(live);
  });

  it('a save that fails leaves the old file as it was, and no temporary file', async () => {
    const path = join(work, 'kept.safetensors');
    const a = model(2);
    await saveWeights(a, path);
    const before = readFileSync(path);
    const broken = model(3);
    (broken.modules[2] as Linear).weights.rho.dispose();
    await expect(saveWeights(broken, path)).rejects.toThrow(/used after dispose/);
    expect(readFileSync(path).equals(before)).toBe(true);
    await expect(
      writeFileAtomic(join(work, 'missing', 'x.bin'), new Uint8Array(4)),
    ).rejects.toThrow(/ENOENT/);
    expect(temporaries()).toEqual([]);
    a.dispose();
    broken.dispose();
  });

  it('loading a missing, truncated or mismatched file is an error that names the path', async () => {
    const m = model(4);
    await expect(loadWeights(m, join(work, 'nope.safetensors'))).rejects.toThrow(/ENOENT/);
    const path = join(work, 'model.safetensors');
    const truncated = join(work, 'truncated.safetensors');
    const bytes = readFileSync(path);
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 3));
    const error = (await loadWeights(m, truncated).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(SafetensorsError);
    expect(error.message).toMatch(
      /truncated\.safetensors: safetensors: .*run past the end of the data/,
    );
    const small = new Sequential(new Linear(3, 4));
    await expect(loadWeights(small, path)).rejects.toThrow(
      /model\.safetensors: loadStateDict: \d+ problems.*\n.*unexpected key "2.weights"/s,
    );
    await expect(loadWeights(m, '' as never)).rejects.toThrow(
      /loadWeights: path must be a non-empty string, got ""/,
    );
    small.dispose();
    m.dispose();
  });

  it('killed mid-write, again and again, the file is always a whole old or new version', async () => {
    // The writer, as plain JavaScript (it imports only Node's modules).
    const bundle = join(work, 'atomic.mjs');
    const source = readFileSync(new URL('./atomic-file.ts', import.meta.url), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(bundle, outputText);
    const target = join(work, 'crash', 'weights.bin');
    rmSync(join(work, 'crash'), { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(join(work, 'crash')));
    const size = 8 << 20;
    writeFileSync(target, new Uint8Array(size).fill(255));
    const writer = join(work, 'writer.mjs');
    writeFileSync(
      writer,
      `import { writeFileAtomic } from ${JSON.stringify(bundle)};
for (let v = 1; ; v = (v % 250) + 1) {
  await writeFileAtomic(${JSON.stringify(target)}, new Uint8Array(${size}).fill(v));
  process.stdout.write('w');
}
`,
    );
    let kills = 0;
    let midWrite = 0;
    for (let round = 0; round < 20; round++) {
      for (const f of readdirSync(join(work, 'crash'))) {
        if (f.endsWith('.tmp')) rmSync(join(work, 'crash', f));
      }
      const child = spawn(process.execPath, [writer], { stdio: ['ignore', 'pipe', 'inherit'] });
      // Once it has written a first time, kill it at an arbitrary moment of a later write.
      await new Promise((resolve) => child.stdout.once('data', resolve));
      await new Promise((resolve) => setTimeout(resolve, (round * 7) % 23));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      kills++;
      const bytes = readFileSync(target);
      expect(bytes.length).toBe(size);
      const first = bytes[0] as number;
      expect(first).not.toBe(255);
      expect(bytes.every((b) => b === first)).toBe(true);
      if (readdirSync(join(work, 'crash')).some((f) => f.endsWith('.tmp'))) midWrite++;
    }
    console.log(
      `atomic writes: ${kills} SIGKILLs of an 8 MB writer, the file whole each time (${midWrite} kills left a temporary file behind, as a crash does)`,
    );
  }, 60_000);

  it('@illia-ts/core (the main entry) imports nothing of Node: it runs in browsers', () => {
    // Every module the main entry reaches, by its relative imports; none may import node:….
    const seen = new Set<string>();
    const visit = (url: URL) => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const text = readFileSync(url, 'utf8');
      for (const [, spec] of text.matchAll(
        /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g,
      )) {
        expect(spec, `${url.pathname} imports ${spec}`).not.toMatch(/^node:|^(fs|path|os|crypto)$/);
        if (spec!.startsWith('.')) visit(new URL(spec!.replace(/\.js$/, '.ts'), url));
      }
    };
    visit(new URL('../index.ts', import.meta.url));
    expect(seen.size).toBeGreaterThan(20);
    expect([...seen].some((u) => u.endsWith('/io/indexeddb.ts'))).toBe(true);
    expect([...seen].some((u) => u.endsWith('/io/atomic-file.ts'))).toBe(false);
  });
});
