/**
 * Who runs a worker's range of a job: the worker, when it gets to the job, or the calling thread,
 * when it is done with its own range first and the worker has not started (a Web Worker waits for
 * its event loop to deliver the job, and a page's main thread should not sit spinning meanwhile).
 * Each worker's control words hold, at {@link CLAIMED}, the last job number claimed; job numbers
 * only grow, so a claim is "raise it to `seq` if it is below": exactly one side wins, and a worker
 * that finds its job claimed (or a later one: it is behind) skips it.
 */

import { CLAIMED } from './control-words.js';

export { CLAIMED };

/** Claims job `seq` in `control`: true for the one caller that raised the word to `seq`. */
export function claim(control: Int32Array, seq: number): boolean {
  for (;;) {
    const current = Atomics.load(control, CLAIMED);
    if (current >= seq) return false;
    if (Atomics.compareExchange(control, CLAIMED, current, seq) === current) return true;
  }
}
