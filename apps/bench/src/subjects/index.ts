import { illiaSubject } from './illia.js';
import { ortCeiling } from './ort-fused.js';
import { plainJsCeiling } from './plain-js.js';
import { pythonRival } from './python-rival.js';
import { tfjsCeiling } from './tfjs-direct.js';
import type { Subject } from './types.js';

/**
 * The ceilings, in the order tables show them. `ceiling:torch` and `ceiling:numpy` are no
 * backend's ceiling: they are the rivals (PyTorch, numpy) a user would otherwise pick, measured
 * in the same run where Python has them.
 */
export const CEILINGS = [
  'ceiling:js',
  'ceiling:tfjs',
  'ceiling:tfjs-wasm',
  'ceiling:ort',
  'ceiling:torch',
  'ceiling:numpy',
] as const;

/** Ceilings that run on the CPU only (no GPU variant to ask for). */
export const CPU_ONLY_CEILINGS: readonly string[] = [
  'ceiling:js',
  'ceiling:tfjs-wasm',
  'ceiling:torch',
  'ceiling:numpy',
];

/** The subject that an id names: a ceiling (`ceiling:…`) or an illia backend name. */
export function subjectFor(id: string): Subject {
  if (id === plainJsCeiling.id) return plainJsCeiling;
  if (id === ortCeiling.id) return ortCeiling;
  if (id === 'ceiling:torch') return pythonRival('torch');
  if (id === 'ceiling:numpy') return pythonRival('numpy');
  if (id === 'ceiling:tfjs' || id.startsWith('ceiling:tfjs-')) return tfjsCeiling(id);
  if (id.startsWith('ceiling:')) {
    throw new RangeError(`--ceilings: expected one of ${CEILINGS.join(', ')}, got '${id}'`);
  }
  return illiaSubject(id);
}
