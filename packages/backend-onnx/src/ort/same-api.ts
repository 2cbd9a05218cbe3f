/**
 * Type check only (imported by nothing): the browser module offers what the Node one does, so the
 * code written against `#ort` (whose types are node.ts's) runs on both.
 */
import type * as Node from './node.js';
import type * as Web from './web.js';

type Used = Pick<typeof Node.ort, 'InferenceSession' | 'Tensor' | 'env'>;

export const webHasNodeApi: Omit<typeof Node, 'ort'> = {} as Omit<typeof Web, 'ort'>;
export const webHasUsedOrt: Used = {} as Pick<typeof Web.ort, keyof Used>;
