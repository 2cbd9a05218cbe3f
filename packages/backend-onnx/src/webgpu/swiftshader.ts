/**
 * SwiftShader, a Vulkan driver that runs on the CPU (Debian's `chromium` package ships it), as the
 * WebGPU adapter of ONNX Runtime's webgpu provider: what the tests of that provider need on a
 * machine without a GPU. Not part of the package's API.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The environment variable naming the folder of SwiftShader's ICD and Vulkan loader. */
export const SWIFTSHADER_DIR_ENV = 'ILLIA_SWIFTSHADER_DIR';

/** Where Debian's `chromium` package puts them. */
export const DEFAULT_SWIFTSHADER_DIR = '/usr/lib/chromium';

/** The files of a SwiftShader install. */
export interface SwiftShader {
  /** The folder of `libvulkan.so.1` and `libvk_swiftshader.so`. */
  readonly dir: string;
  /** The ICD manifest, `vk_swiftshader_icd.json`. */
  readonly icd: string;
}

/**
 * SwiftShader in `ILLIA_SWIFTSHADER_DIR` (default /usr/lib/chromium), or why none was found: a
 * sentence for a skipped test to print.
 */
export function findSwiftShader(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SwiftShader | string {
  const dir = env[SWIFTSHADER_DIR_ENV] || DEFAULT_SWIFTSHADER_DIR;
  const icd = join(dir, 'vk_swiftshader_icd.json');
  const missing = [icd, join(dir, 'libvk_swiftshader.so')].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    return `no SwiftShader Vulkan driver (${missing.join(', ')} not found): install Debian's chromium package, or set ${SWIFTSHADER_DIR_ENV} to the folder of vk_swiftshader_icd.json`;
  }
  return { dir, icd };
}

/**
 * The variables a process needs, set before it starts, so that ONNX Runtime's webgpu provider
 * runs on SwiftShader: the Vulkan loader found beside it (LD_LIBRARY_PATH, read once by the
 * dynamic loader at start-up) and SwiftShader as the only Vulkan driver (VK_ICD_FILENAMES). Empty
 * when SwiftShader is absent (then the provider uses the machine's own Vulkan, if any).
 */
export function swiftShaderEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const found = findSwiftShader(env);
  if (typeof found === 'string') return {};
  const path = env.LD_LIBRARY_PATH;
  return {
    LD_LIBRARY_PATH: path ? `${found.dir}:${path}` : found.dir,
    VK_ICD_FILENAMES: found.icd,
  };
}
