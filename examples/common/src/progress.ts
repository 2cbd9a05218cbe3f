/** The training progress line of the example's command line. */

/** Where progress goes: a writable stream, a terminal or not. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A progress callback for `epochs` epochs. On a terminal, a bar redrawn in place (`\r`) and the
 * epoch's loss at its end; elsewhere (a log file, a pipe, CI), where `\r` frames pile up, one line
 * per epoch: `  epoch  3/10  loss 0.1234`.
 */
export function progressBar(
  epochs: number,
  stream: ProgressStream = process.stderr,
  width = 30,
): (epoch: number, fraction: number, loss: number) => void {
  return (epoch, fraction, loss) => {
    const head = `  epoch ${String(epoch).padStart(2)}/${epochs}`;
    if (stream.isTTY !== true) {
      if (fraction >= 1) stream.write(`${head}  loss ${loss.toFixed(4)}\n`);
      return;
    }
    const done = Math.round(fraction * width);
    stream.write(
      `\r${head} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(fraction * 100).toFixed(0).padStart(3)}%`,
    );
    if (fraction >= 1) stream.write(`  loss ${loss.toFixed(4)}\n`);
  };
}
