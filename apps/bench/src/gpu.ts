/**
 * The WebGPU adapter a `--device webgpu` run gets in Node: ONNX Runtime's webgpu provider reaches
 * the GPU through Vulkan on Linux, so the adapter is the Vulkan driver (ICD) the loader picks.
 * Where the machine has none, SwiftShader (Debian's `chromium` package ships it: Vulkan on the
 * CPU) stands in, and the rows say it is a software GPU, so that nobody reads its times as GPU
 * speed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Where Debian's `chromium` package puts SwiftShader; `ILLIA_SWIFTSHADER_DIR` overrides it. */
export const DEFAULT_SWIFTSHADER_DIR = '/usr/lib/chromium';

/** The Vulkan driver of a webgpu run. */
export interface WebGpuAdapter {
  /** The driver, such as `SwiftShader` or `NVIDIA`; `none` where no Vulkan driver was found. */
  readonly name: string;
  /** A software rasteriser on the CPU (SwiftShader, lavapipe, llvmpipe): not GPU speed. */
  readonly software: boolean;
  /** Variables a child process needs, set before it starts, to get this adapter. */
  readonly env: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A driver's name and whether it runs on the CPU, from its ICD manifest's library. */
function driverOf(icd: string): { name: string; software: boolean } {
  let library = icd;
  try {
    const manifest = JSON.parse(readFileSync(icd, 'utf8')) as { ICD?: { library_path?: string } };
    library = manifest.ICD?.library_path ?? icd;
  } catch {
    // An unreadable manifest: its file name is all there is to go on.
  }
  const file = basename(library).toLowerCase();
  if (file.includes('swiftshader')) return { name: 'SwiftShader', software: true };
  if (file.includes('lvp')) return { name: 'lavapipe', software: true };
  if (file.includes('nvidia') || file.includes('glx')) return { name: 'NVIDIA', software: false };
  if (file.includes('radeon')) return { name: 'AMD RADV', software: false };
  if (file.includes('intel')) return { name: 'Intel ANV', software: false };
  return { name: basename(library), software: false };
}

/** The system's Vulkan ICD manifests (the loader's default search). */
function systemIcds(): string[] {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(dir, f));
    } catch {
      return [];
    }
  });
}

/** Whether the system's dynamic loader finds libvulkan.so.1. */
function systemVulkanLoader(): boolean {
  try {
    return execFileSync('ldconfig', ['-p'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

function describe(icds: readonly string[], env: Record<string, string>): WebGpuAdapter {
  const drivers = icds.map(driverOf);
  return {
    name: drivers.map((d) => d.name).join(' + '),
    software: drivers.length > 0 && drivers.every((d) => d.software),
    env,
  };
}

/**
 * The adapter a webgpu run gets here: the drivers `VK_ICD_FILENAMES` names where it is set; else
 * the system's Vulkan drivers where it has a loader and some; else SwiftShader (in
 * `ILLIA_SWIFTSHADER_DIR`, default /usr/lib/chromium) with the variables that select it.
 */
export function webgpuAdapter(env: Env = process.env): WebGpuAdapter {
  const named = env.VK_ICD_FILENAMES?.split(':').filter((f) => f !== '') ?? [];
  if (named.length > 0) return describe(named, {});
  const system = systemIcds();
  if (system.length > 0 && systemVulkanLoader()) return describe(system, {});
  const dir = env.ILLIA_SWIFTSHADER_DIR || DEFAULT_SWIFTSHADER_DIR;
  const icd = join(dir, 'vk_swiftshader_icd.json');
  if (existsSync(icd) && existsSync(join(dir, 'libvulkan.so.1'))) {
    const path = env.LD_LIBRARY_PATH;
    return describe([icd], {
      LD_LIBRARY_PATH: path ? `${dir}:${path}` : dir,
      VK_ICD_FILENAMES: icd,
    });
  }
  return { name: 'none', software: false, env: {} };
}

/** How a report names the adapter: `SwiftShader (a software GPU: Vulkan on the CPU, …)`. */
export function adapterLabel(adapter: WebGpuAdapter): string {
  if (adapter.name === 'none') {
    return "no Vulkan driver found (install a GPU's Vulkan driver, or Debian's chromium for SwiftShader)";
  }
  return adapter.software
    ? `${adapter.name} (a software GPU: Vulkan on the CPU; its times are not GPU speed)`
    : `${adapter.name} (Vulkan)`;
}

/** Renderer or adapter strings of a software GPU (a rasteriser on the CPU). */
const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i;

/**
 * How a report names a browser's GPU adapter, as {@link adapterLabel} names Node's: `adapter
 * SwiftShader (a software GPU: WebGPU on the CPU; its times are not GPU speed)` where the page's
 * adapter is a fallback adapter or its name is a software rasteriser's, so that the heading of its
 * rows says `software GPU` (`deviceLabel`). `names` are what the page said (WebGPU's vendor,
 * architecture and description; WebGL's unmasked renderer).
 */
export function browserAdapterLabel(
  api: 'WebGL' | 'WebGPU',
  names: readonly string[],
  fallback = false,
): string {
  const said = names.filter((n) => n.trim() !== '').join(' ');
  const software = fallback || SOFTWARE_GPU.test(said);
  if (!software) return `adapter ${said || 'unnamed'} (${api})`;
  const name = /swiftshader/i.test(said)
    ? 'SwiftShader'
    : (/llvmpipe|lavapipe|softpipe/i.exec(said)?.[0] ?? 'software');
  return `adapter ${name} (a software GPU: ${api} on the CPU; its times are not GPU speed) [${said}${fallback ? ', fallback adapter' : ''}]`;
}
