import { describe, expect, it } from 'vitest';
import { progressBar } from './progress.js';

function capture(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } };
}

function twoEpochs(report: ReturnType<typeof progressBar>): void {
  for (const epoch of [1, 2]) {
    for (const fraction of [0.25, 0.5, 1]) report(epoch, fraction, 0.5 / epoch);
  }
}

describe('the progress line', () => {
  it('is one line per epoch when stderr is not a terminal, with no \\r', () => {
    const { written, stream } = capture(false);
    twoEpochs(progressBar(2, stream));
    expect(written.join('')).toBe('  epoch  1/2  loss 0.5000\n  epoch  2/2  loss 0.2500\n');
  });

  it('is a bar redrawn in place on a terminal', () => {
    const { written, stream } = capture(true);
    twoEpochs(progressBar(2, stream, 4));
    expect(written.slice(0, 4)).toEqual([
      '\r  epoch  1/2 [#...]  25%',
      '\r  epoch  1/2 [##..]  50%',
      '\r  epoch  1/2 [####] 100%',
      '  loss 0.5000\n',
    ]);
    expect(written.join('').split('\n')).toHaveLength(3);
  });
});
