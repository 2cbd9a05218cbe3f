/**
 * Where ONNX Runtime's webgpu provider runs each kernel (ORT's profiler, see placement.ts): every
 * kernel runs, and on SwiftShader the table is docs/gpu-engines.md's, so that a kernel that starts
 * falling back to the CPU (or stops) fails here until the page says so. `ILLIA_WRITE_PLACEMENT=1`
 * rewrites the page's table instead.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerBackend } from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { OnnxBackend } from '../onnx-backend.js';
import { webgpuUnavailable } from './availability.js';
import { measurePlacement, placementTable } from './placement.js';
import { findSwiftShader } from './swiftshader.js';

const DOC = fileURLToPath(new URL('../../../../docs/gpu-engines.md', import.meta.url));
const START = '<!-- placement:start (src/webgpu/placement.webgpu.test.ts writes this table) -->';
const END = '<!-- placement:end -->';

const swiftShader = findSwiftShader();
const onSwiftShader =
  typeof swiftShader !== 'string' && process.env.VK_ICD_FILENAMES === swiftShader.icd;
const absent = (await webgpuUnavailable('onnx-webgpu kernel placement')) !== null;

/** A markdown table's cells, row by row: the page's formatter pads cells and rules, the test does not. */
function cells(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((row) => row.split('|').map((cell) => cell.trim().replace(/^:?-+:?$/, '---')));
}

describe.skipIf(absent)('kernel placement on the webgpu provider', () => {
  it('every kernel runs, and the table is docs/gpu-engines.md’s', {
    timeout: 300_000,
  }, async () => {
    const backend = new OnnxBackend({
      name: 'onnx-webgpu-placement',
      executionProviders: ['webgpu'],
    });
    registerBackend(backend.name, () => backend);
    const rows = await measurePlacement(backend);
    const unmeasured = rows.filter((r) => r.byProvider.size === 0).map((r) => r.kernel);
    expect(unmeasured, 'kernels with no node in the profile').toEqual([]);
    const table = placementTable(rows);
    console.log(`${table}\n`);
    if (!onSwiftShader) return; // Another adapter may place ops differently: printed only.
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start >= 0 && end > start, `${DOC} has the table's markers`).toBe(true);
    const written = doc.slice(start + START.length, end).trim();
    if (process.env.ILLIA_WRITE_PLACEMENT === '1') {
      writeFileSync(DOC, `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`);
      return;
    }
    expect(
      cells(written),
      'docs/gpu-engines.md’s placement table (ILLIA_WRITE_PLACEMENT=1 npx vitest run --project webgpu rewrites it)',
    ).toEqual(cells(table));
  });
});
