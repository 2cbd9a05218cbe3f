/**
 * Builds `.real-gpu/` at the repo root (git-ignored through .git/info/exclude): everything the
 * run on a machine with a real GPU and no Node.js needs, for `run.sh` there. See README.md.
 *
 *   node tests/real-gpu/build.mjs            # bundles, runtime archive, Vulkan debs
 *   node tests/real-gpu/build.mjs --bundles  # only the two bundles (the runtime archive kept)
 *
 * - suite.mjs: the `webgpu` vitest project's three files (packages/backend-onnx/src/webgpu/
 *   *.webgpu.test.ts: the conformance suite on ORT's webgpu provider, kernel placement, random
 *   numbers), bundled with esbuild from the working tree's sources, `vitest` replaced by
 *   shim/vitest.mjs, onnxruntime-node left external;
 * - timing.mjs: timing.mjs's bundle (a few ops on the webgpu and cpu providers);
 * - runtime.tar.xz: this machine's node binary and onnxruntime-node (linux x64 only) with
 *   onnxruntime-common, as node_modules;
 * - debs/: libvulkan1 (the Vulkan loader), and vulkan-tools with vulkaninfo's libraries, amd64;
 * - manifest.json: the commit and dirty files the bundles were built from.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const OUT = join(REPO, '.real-gpu');
const WEBGPU = join(REPO, 'packages/backend-onnx/src/webgpu');
const TEST_FILES = [
  'conformance.webgpu.test.ts',
  'placement.webgpu.test.ts',
  'random.webgpu.test.ts',
];
const DEBS = [
  'libvulkan1',
  'vulkan-tools',
  'libx11-6',
  'libxcb1',
  'libxau6',
  'libxdmcp6',
  'libwayland-client0',
  'libffi8',
  'libbsd0',
  'libmd0',
];
const onlyBundles = process.argv.includes('--bundles');

const sh = (cmd, args, options = {}) => execFileSync(cmd, args, { stdio: 'inherit', ...options });

/**
 * `vitest` → the shim, the workspace packages → their sources (the bundle tests the working tree,
 * not whatever dist/ holds), `import.meta.url` in the repo's sources → the same file under the
 * repo root given at run time (`REAL_GPU_REPO`), so that paths such as docs/gpu-engines.md resolve.
 */
const plugin = {
  name: 'real-gpu',
  setup(b) {
    const alias = {
      vitest: join(HERE, 'shim/vitest.mjs'),
      '@illia-ts/core': join(REPO, 'packages/core/src/index.ts'),
      '@illia-ts/core/node': join(REPO, 'packages/core/src/node.ts'),
      '@illia-ts/conformance': join(REPO, 'packages/conformance/src/index.ts'),
    };
    b.onResolve({ filter: /^(vitest|@illia-ts\/(core|core\/node|conformance))$/ }, (a) => ({
      path: alias[a.path],
    }));
    b.onResolve({ filter: /^real-gpu:/ }, (a) => ({ path: a.path, namespace: 'real-gpu' }));
    b.onLoad({ filter: /.*/, namespace: 'real-gpu' }, (a) => {
      const [, what, arg] = a.path.split(':');
      if (what === 'begin') {
        return {
          contents: `import { beginFile } from 'vitest'; beginFile(${JSON.stringify(arg)});`,
          resolveDir: HERE,
        };
      }
      throw new Error(`unknown virtual module ${a.path}`);
    });
    b.onLoad({ filter: /\/packages\/.*\.ts$/ }, async (a) => {
      const { readFile } = await import('node:fs/promises');
      let contents = await readFile(a.path, 'utf8');
      if (contents.includes('import.meta.url')) {
        const rel = JSON.stringify(relative(REPO, a.path));
        contents = contents.replaceAll(
          'import.meta.url',
          `new URL(${rel}, globalThis.__REAL_GPU_REPO_URL__).href`,
        );
      }
      return { contents, loader: 'ts' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['onnxruntime-node'],
  plugins: [plugin],
  logLevel: 'warning',
  legalComments: 'none',
  // The repo root as a file URL, for the rewritten import.meta.url: REAL_GPU_REPO, else the cwd.
  banner: {
    js: [
      "import { createRequire as __realGpuRequire } from 'node:module';",
      "import { pathToFileURL as __realGpuUrl } from 'node:url';",
      'const require = __realGpuRequire(import.meta.url);',
      "globalThis.__REAL_GPU_REPO_URL__ = __realGpuUrl((process.env.REAL_GPU_REPO ?? process.cwd()) + '/').href;",
    ].join('\n'),
  },
};

async function bundles() {
  mkdirSync(OUT, { recursive: true });
  const entry = [
    ...TEST_FILES.flatMap((f) => [
      `import 'real-gpu:begin:${f}';`,
      `import ${JSON.stringify(join(WEBGPU, f))};`,
    ]),
    `import { main } from ${JSON.stringify(join(HERE, 'suite-main.mjs'))};`,
    'await main();',
  ].join('\n');
  await build({
    ...common,
    stdin: { contents: entry, resolveDir: HERE, sourcefile: 'suite-entry.mjs', loader: 'js' },
    outfile: join(OUT, 'suite.mjs'),
  });
  await build({
    ...common,
    entryPoints: [join(HERE, 'timing.mjs')],
    outfile: join(OUT, 'timing.mjs'),
  });
  const git = (...args) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
  writeFileSync(
    join(OUT, 'manifest.json'),
    `${JSON.stringify(
      {
        builtAt: new Date().toISOString(),
        commit: git('rev-parse', 'HEAD'),
        dirty: git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean),
        node: process.version,
        testFiles: TEST_FILES.map((f) => `packages/backend-onnx/src/webgpu/${f}`),
      },
      null,
      2,
    )}\n`,
  );
}

/** node and onnxruntime-node (linux x64 binaries only) with onnxruntime-common, xz-compressed. */
function runtime() {
  const stage = mkdtempSync(join(tmpdir(), 'real-gpu-runtime-'));
  try {
    mkdirSync(join(stage, 'bin'));
    copyFileSync(process.execPath, join(stage, 'bin/node'));
    const nm = join(REPO, 'node_modules');
    const ortNode = join(stage, 'node_modules/onnxruntime-node');
    mkdirSync(join(ortNode, 'bin/napi-v6/linux'), { recursive: true });
    sh('cp', [
      '-a',
      join(nm, 'onnxruntime-node/package.json'),
      join(nm, 'onnxruntime-node/dist'),
      ortNode,
    ]);
    sh('cp', [
      '-a',
      join(nm, 'onnxruntime-node/bin/napi-v6/linux/x64'),
      join(ortNode, 'bin/napi-v6/linux/'),
    ]);
    const common = join(stage, 'node_modules/onnxruntime-common');
    mkdirSync(common, { recursive: true });
    sh('cp', [
      '-a',
      join(nm, 'onnxruntime-common/package.json'),
      join(nm, 'onnxruntime-common/dist'),
      common,
    ]);
    const archive = join(OUT, 'runtime.tar.xz');
    console.log('compressing node and onnxruntime-node (a minute or two)…');
    sh('sh', ['-c', `tar -C "${stage}" -cf - bin node_modules | xz -T2 -9 > "${archive}.part"`]);
    sh('mv', [`${archive}.part`, archive]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The amd64 debs, from this machine's apt sources (the device has no network). */
function debs() {
  const dir = join(OUT, 'debs');
  mkdirSync(dir, { recursive: true });
  const have = readdirSync(dir);
  const missing = DEBS.filter((d) => !have.some((f) => f.startsWith(`${d}_`)));
  if (missing.length === 0) return;
  const lists = '/tmp/real-gpu-apt-amd64';
  mkdirSync(join(lists, 'partial'), { recursive: true });
  const o = [
    '-oAPT::Architecture=amd64',
    '-oAPT::Architectures=amd64',
    `-oDir::State::Lists=${lists}`,
  ];
  sh('apt-get', [...o, '-qq', 'update']);
  sh('apt-get', [...o, '-qq', 'download', ...missing], { cwd: dir });
}

await bundles();
if (!onlyBundles) {
  runtime();
  debs();
}
const sizes = readdirSync(OUT).map((f) => {
  const p = join(OUT, f);
  const s = statSync(p);
  const bytes = s.isDirectory()
    ? readdirSync(p).reduce((n, g) => n + statSync(join(p, g)).size, 0)
    : s.size;
  return `${f} ${(bytes / 2 ** 20).toFixed(1)} MiB`;
});
console.log(`built ${relative(process.cwd(), OUT) || OUT}: ${sizes.join(', ')}`);
if (!existsSync(join(OUT, 'runtime.tar.xz')))
  console.warn('runtime.tar.xz missing: run without --bundles');
