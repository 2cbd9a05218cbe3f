import { illiaSubject } from './illia.js';
import { ortCeiling } from './ort-fused.js';
import { plainJsCeiling } from './plain-js.js';
import { pythonRival } from './python-rival.js';
import { tfjsCeiling } from './tfjs-direct.js';
import type { Subject } from './types.js';
import { wasmPeakCeiling } from './wasm-simd.js';

/**
 * The ceilings, in the order tables show them. `ceiling:torch` and `ceiling:numpy` are no
 * backend's ceiling: they are the rivals (PyTorch, numpy) a user would otherwise pick, measured
 * in the same run where Python has them. `ceiling:wasm-f32x4` and `ceiling:wasm-f64x2` are the
 * WebAssembly SIMD peak of one thread, on the conv2d page only.
 */
export const CEILINGS = [
  'ceiling:js',
  'ceiling:wasm-f32x4',
  'ceiling:wasm-f64x2',
  'ceiling:tfjs',
  'ceiling:tfjs-wasm',
  'ceiling:ort',
  'ceiling:torch',
  'ceiling:numpy',
] as const;

/** Ceilings that run on the CPU only (no GPU variant to ask for). */
export const CPU_ONLY_CEILINGS: readonly string[] = [
  'ceiling:js',
  'ceiling:wasm-f32x4',
  'ceiling:wasm-f64x2',
  'ceiling:tfjs-wasm',
  'ceiling:torch',
  'ceiling:numpy',
];

/** The subject that an id names: a ceiling (`ceiling:…`) or an illia backend name. */
export function subjectFor(id: string): Subject {
  if (id === plainJsCeiling.id) return plainJsCeiling;
  if (id === ortCeiling.id) return ortCeiling;
  if (id === 'ceiling:wasm-f32x4') return wasmPeakCeiling('f32x4');
  if (id === 'ceiling:wasm-f64x2') return wasmPeakCeiling('f64x2');
  if (id === 'ceiling:torch') return pythonRival('torch');
  if (id === 'ceiling:numpy') return pythonRival('numpy');
  if (id === 'ceiling:tfjs' || id.startsWith('ceiling:tfjs-')) return tfjsCeiling(id);
  if (id.startsWith('ceiling:')) {
    throw new RangeError(`--ceilings: expected one of ${CEILINGS.join(', ')}, got '${id}'`);
  }
  return illiaSubject(id);
}
