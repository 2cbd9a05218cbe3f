import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adapterLabel, webgpuAdapter } from './gpu.js';

function icd(library: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'icd-')), 'icd.json');
  writeFileSync(file, JSON.stringify({ ICD: { library_path: library } }));
  return file;
}

describe('the webgpu adapter', () => {
  it('names the driver VK_ICD_FILENAMES selects, and labels SwiftShader a software GPU', () => {
    const swiftShader = webgpuAdapter({ VK_ICD_FILENAMES: icd('./libvk_swiftshader.so') });
    expect(swiftShader).toEqual({ name: 'SwiftShader', software: true, env: {} });
    expect(adapterLabel(swiftShader)).toMatch(/SwiftShader \(a software GPU: .*not GPU speed\)/);
    const nvidia = webgpuAdapter({ VK_ICD_FILENAMES: icd('libGLX_nvidia.so.0') });
    expect(nvidia).toMatchObject({ name: 'NVIDIA', software: false });
    expect(adapterLabel(nvidia)).not.toMatch(/software/);
  });

  it('a GPU beside a software driver is not a software GPU', () => {
    const both = `${icd('libvulkan_lvp.so')}:${icd('libvulkan_radeon.so')}`;
    expect(webgpuAdapter({ VK_ICD_FILENAMES: both })).toMatchObject({
      name: 'lavapipe + AMD RADV',
      software: false,
    });
  });
});
