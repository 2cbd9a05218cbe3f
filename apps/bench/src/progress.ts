import { formatSize } from './report/format.js';
import type { RunHooks } from './runner.js';

/**
 * Progress on stderr: a redrawn bar on a terminal, one line per subject otherwise (so logs of CI
 * runs stay readable).
 */
export function progressHooks(
  stream: NodeJS.WriteStream = process.stderr,
): RunHooks & { end(): void } {
  const tty = stream.isTTY === true;
  let drawn = false;
  return {
    onJob(job) {
      if (!tty) stream.write(`bench: ${job.subject} on ${job.device}\n`);
    },
    onRow(row, done, total) {
      if (!tty) return;
      const width = 30;
      const filled = Math.round((done / total) * width);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      const what = `${row.subject} ${row.device} ${row.op} ${formatSize(row.size)}`;
      stream.write(`\r[${bar}] ${done}/${total} ${what}`.padEnd(100).slice(0, 100));
      drawn = true;
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}
