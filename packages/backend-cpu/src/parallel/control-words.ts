/**
 * The control words a {@link KernelPool} shares with each worker (an Int32Array over a
 * SharedArrayBuffer of {@link CONTROL_WORDS} words), by index.
 */

/** The number of the last job posted to the worker (the caller raises it, then notifies). */
export const POSTED = 0;
/** The number of the last job the worker finished. */
export const DONE = 1;
/** Set when a job failed in the worker: the caller reruns it. */
export const FAILED = 2;
/** Set when the worker exits. */
export const EXITED = 3;
/** The last job number claimed, by the worker or the caller (see `claim.ts`). */
export const CLAIMED = 4;
/**
 * Set by the worker once it is up, before it says so by message: the caller reads it when its
 * start timer fires, since a caller busy past the timeout handles the timer before the message.
 */
export const STARTED = 5;
/** How many control words there are. */
export const CONTROL_WORDS = 6;
