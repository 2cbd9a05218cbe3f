/**
 * How each measurement is timed: what `--repeats`, `--warmup`, `--warmup-ms`, `--min-sample-ms`
 * and `--max-seconds` set. On its own so that options, subjects and the measuring loop share it
 * without importing one another.
 */
export interface TimingOptions {
  /** Untimed runs first (JIT, caches, lazy graph compilation), at least this many… */
  readonly warmup: number;
  /**
   * …and for at least this long: V8 optimises a small call only after thousands of runs, and the
   * C allocator reuses freed large blocks (instead of mapping fresh pages) only after a few have
   * been freed. Without it the first timed samples measure start-up, not the steady state.
   */
  readonly warmupMs: number;
  /** Timed samples wanted; the median, p10 and p90 are over them. */
  readonly repeats: number;
  /** A timed sample batches calls until it lasts at least this long (timer resolution). */
  readonly minSampleMs: number;
  /** Stop sampling a measurement after this long, once it has 3 samples. */
  readonly maxSeconds: number;
}
