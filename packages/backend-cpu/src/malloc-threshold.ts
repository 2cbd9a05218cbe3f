/**
 * glibc's malloc serves a block of at least its mmap threshold (128 KiB at start) with a fresh
 * `mmap`, and gives freed memory at the top of its heap back to the system once more than its
 * trim threshold is free there. When a mapped block of up to 32 MiB is freed, both rise by
 * themselves: the mmap threshold to that block's size, the trim threshold to twice it (`mallopt(3)`,
 * M_MMAP_THRESHOLD). Until then a loop that reads large results can pay a page fault per 4 KiB of
 * every read: V8 frees the copies callers dropped ten or so at a time, glibc gives them back, and
 * the next reads map new pages (1e6 floats on 2 threads: 905–968 faults a `sample()` and
 * `await data()` in loops of 400 calls; 0–2 once raised; the cpu README has the speeds).
 *
 * This allocates and drops one block just under 32 MiB, never touched (no page is mapped in), so
 * that when the garbage collector frees it glibc raises the thresholds as it would for any such
 * block: afterwards blocks below 32 MiB come from its heap, and up to 64 MiB of freed memory stays
 * there for reuse instead of going back to the system. Once per process; elsewhere (musl, macOS,
 * Windows) it is one untouched allocation and nothing more.
 */

/** glibc's largest dynamic mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX). */
const THRESHOLD_MAX = 32 * 2 ** 20;

/** The block: its size with glibc's header, rounded up to pages of up to 64 KiB, stays ≤ 32 MiB. */
const BLOCK_BYTES = THRESHOLD_MAX - 64 * 2 ** 10;

const runtime = globalThis as {
  Buffer?: { allocUnsafeSlow?: (bytes: number) => unknown };
  process?: { versions?: { node?: string } };
};

/** Node's `Buffer.allocUnsafeSlow` (malloc, no zeroing); not a bundler's `Buffer` in a browser. */
const allocUnsafeSlow =
  typeof runtime.process?.versions?.node === 'string' ? runtime.Buffer?.allocUnsafeSlow : undefined;

let raised = false;

/**
 * Raises glibc's dynamic mmap and trim thresholds to their 32 MiB and 64 MiB limits at the next
 * garbage collection: once per process, in Node only (nothing in browsers).
 */
export function raiseMallocThreshold(): void {
  if (raised || allocUnsafeSlow === undefined) return;
  raised = true;
  // Unreferenced at once: freed at a garbage collection, which is what raises the thresholds.
  allocUnsafeSlow(BLOCK_BYTES);
}
