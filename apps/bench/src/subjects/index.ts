import { illiaSubject } from './illia.js';
import { ortCeiling } from './ort-fused.js';
import { plainJsCeiling } from './plain-js.js';
import { tfjsCeiling } from './tfjs-direct.js';
import type { Subject } from './types.js';

/** The ceilings, in the order tables show them. */
export const CEILINGS = ['ceiling:js', 'ceiling:tfjs', 'ceiling:tfjs-wasm', 'ceiling:ort'] as const;

/** The subject that an id names: a ceiling (`ceiling:…`) or an illia backend name. */
export function subjectFor(id: string): Subject {
  if (id === plainJsCeiling.id) return plainJsCeiling;
  if (id === ortCeiling.id) return ortCeiling;
  if (id === 'ceiling:tfjs' || id.startsWith('ceiling:tfjs-')) return tfjsCeiling(id);
  if (id.startsWith('ceiling:')) {
    throw new RangeError(`--ceilings: expected one of ${CEILINGS.join(', ')}, got '${id}'`);
  }
  return illiaSubject(id);
}
