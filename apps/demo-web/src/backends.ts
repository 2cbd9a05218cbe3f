/**
 * The backends the page offers, each with a check of whether this page can run it. Every one is
 * bundled (no CDN): cpu (Web Workers when the page is cross-origin isolated), tfjs on its cpu,
 * wasm, webgl and webgpu engines, and onnx on onnxruntime-web (WebAssembly, and WebGPU). The
 * WebAssembly binaries of tfjs and ONNX Runtime are served next to the page (build.mjs).
 */
import { CpuBackend } from '@illia-ts/backend-cpu';
import { OnnxBackend, ortEnv } from '@illia-ts/backend-onnx';
import { createTfjsBackend } from '@illia-ts/backend-tfjs';
import { type Backend, registerBackend, registeredBackends, setBackend } from '@illia-ts/core';
// The engines register themselves in tfjs on import, so backend-tfjs finds them in the bundle.
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

// The WebAssembly binaries, copied next to the page by build.mjs.
setWasmPaths(new URL('./tfjs-wasm/', document.baseURI).href);
ortEnv.wasm.wasmPaths = new URL('./ort/', document.baseURI).href;

/** A backend in the picker. */
export interface Choice {
  /** The illia-ts backend name. */
  readonly name: string;
  readonly label: string;
  /** Why this page cannot run it, or null when it can (as far as can be told without starting it). */
  unavailable(): Promise<string | null>;
}

/** Registers `name` as a tfjs backend on `engine`, unless backend-tfjs registered it already. */
function tfjs(engine: string, name: string): void {
  if (!registeredBackends().includes(name)) {
    registerBackend(name, () => createTfjsBackend({ engine, name }));
  }
}

tfjs('cpu', 'tfjs-cpu');
tfjs('wasm', 'tfjs-wasm');
tfjs('webgl', 'tfjs-webgl');
tfjs('webgpu', 'tfjs-webgpu');
// `onnx` (registered by the import) runs on ONNX Runtime's WebAssembly; this one on its WebGPU.
if (!registeredBackends().includes('onnx-webgpu')) {
  registerBackend('onnx-webgpu', () =>
    OnnxBackend.create({ name: 'onnx-webgpu', executionProviders: ['webgpu'] }),
  );
}

/** Why WebGPU cannot run here, or null when it has an adapter. */
async function noWebGpu(): Promise<string | null> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (gpu === undefined) return 'this browser has no WebGPU (navigator.gpu)';
  try {
    return (await gpu.requestAdapter()) === null ? 'WebGPU has no adapter here' : null;
  } catch (error) {
    return `WebGPU: ${String(error)}`;
  }
}

const noWasm = async () =>
  typeof WebAssembly === 'object' ? null : 'this browser has no WebAssembly';

const always = async () => null;

export const CHOICES: readonly Choice[] = [
  { name: 'cpu', label: 'cpu', unavailable: always },
  { name: 'tfjs-cpu', label: 'tfjs · cpu', unavailable: always },
  { name: 'tfjs-wasm', label: 'tfjs · wasm', unavailable: noWasm },
  {
    name: 'tfjs-webgl',
    label: 'tfjs · webgl',
    unavailable: async () =>
      document.createElement('canvas').getContext('webgl2') !== null ||
      document.createElement('canvas').getContext('webgl') !== null
        ? null
        : 'this browser has no WebGL',
  },
  { name: 'tfjs-webgpu', label: 'tfjs · webgpu', unavailable: noWebGpu },
  { name: 'onnx', label: 'onnx · wasm', unavailable: noWasm },
  { name: 'onnx-webgpu', label: 'onnx · webgpu', unavailable: noWebGpu },
];

/** Makes `name` the current backend; for cpu, waits for its workers. Returns a description. */
export async function use(name: string): Promise<{ backend: Backend; detail: string }> {
  const backend = await setBackend(name);
  if (backend instanceof CpuBackend) {
    const threads = await backend.whenReady();
    const why = globalThis.crossOriginIsolated ? '' : '; page not cross-origin isolated';
    return { backend, detail: `${threads} thread${threads > 1 ? 's' : ''}${why}` };
  }
  return { backend, detail: '' };
}
