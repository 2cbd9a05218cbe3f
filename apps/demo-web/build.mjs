/**
 * Builds the page into dist/: the bundle (esbuild, every backend in it, nothing from a CDN), the
 * HTML, and the tfjs wasm engine's binaries, which it loads at run time.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const require = createRequire(import.meta.url);
// onnxruntime-web is backend-onnx's dependency: found from there.
const onnxDir = dirname(require.resolve('@illia-ts/backend-onnx/package.json'));

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'tfjs-wasm'), { recursive: true });
mkdirSync(join(out, 'ort'), { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: join(out, 'main.js'),
  logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
const wasmDir = dirname(
  require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
);
for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) {
  copyFileSync(join(wasmDir, file), join(out, 'tfjs-wasm', file));
}
// onnxruntime-web's default build (ort.bundle.min.mjs) runs the JSEP binary (WebAssembly and
// WebGPU); its loader is in the bundle, the .wasm (28 MB) is fetched from ortEnv.wasm.wasmPaths.
const ortDist = dirname(require.resolve('onnxruntime-web', { paths: [onnxDir] }));
for (const file of ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs']) {
  copyFileSync(join(ortDist, file), join(out, 'ort', file));
}
console.log(`demo-web: built ${out}`);
