import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { adapterLabel, webgpuAdapter } from './gpu.js';
import type { MachineDescription } from './results.js';
import type { Device } from './subjects/types.js';
import { packageVersion } from './versions.js';

/** The packages whose versions a report records. */
const PACKAGES = [
  '@illia-ts/core',
  '@illia-ts/backend-cpu',
  '@illia-ts/backend-tfjs',
  '@illia-ts/backend-onnx',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  'onnxruntime-node',
] as const;

/** And those a `--browser` run's page bundles. */
const BROWSER_PACKAGES = [
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-webgpu',
  'onnxruntime-web',
] as const;

function nvidiaGpus(): string {
  try {
    const out = execFileSync(
      'nvidia-smi',
      ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'],
      { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return out.trim().split('\n').join('; ') || 'nvidia-smi lists no GPU';
  } catch {
    return 'no NVIDIA GPU found (nvidia-smi missing or failing)';
  }
}

function describeDevice(device: Device): string {
  const cpus = os.cpus();
  switch (device) {
    case 'cpu':
      return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores`;
    case 'cuda':
      return nvidiaGpus();
    case 'webgpu':
      // ONNX Runtime brings its own WebGPU (Dawn), on Vulkan on Linux: the adapter is the driver.
      return `adapter ${adapterLabel(webgpuAdapter())}; ${nvidiaGpus()}`;
    default:
      // The browser's devices are described by the page that ran them (src/browser/run.ts).
      return 'a page in headless Chromium';
  }
}

/** The CPU, memory, OS, Node and engine versions, and what each requested device is. */
export function describeMachine(devices: readonly Device[], browser = false): MachineDescription {
  const packages = browser ? [...PACKAGES, ...BROWSER_PACKAGES] : PACKAGES;
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    packages: Object.fromEntries(packages.map((name) => [name, packageVersion(name)])),
    devices: Object.fromEntries(devices.map((d) => [d, describeDevice(d)])),
  };
}
