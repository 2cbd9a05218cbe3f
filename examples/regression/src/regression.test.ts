import '@illia-ts/backend-cpu';
import { memory } from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { curve, regressionSvg, runRegression } from './regression.js';

describe('regression example (small settings)', () => {
  it('is at least 3 times less certain away from the data, leaks nothing and plots', async () => {
    const before = memory().numTensors;
    const result = await runRegression({ steps: 800, hidden: 32, samples: 50, points: 128 });
    expect(memory().numTensors).toBe(before);
    expect(Number.isFinite(result.finalLoss)).toBe(true);
    expect(result.stdOut / result.stdIn).toBeGreaterThanOrEqual(3);
    // The mean follows the data where there are data: within 0.1 of the noise-free curve.
    result.grid.x.forEach((x, i) => {
      if (x >= 0.05 && x <= 0.45) {
        expect(
          Math.abs((result.grid.mean[i] as number) - curve(x, 0)),
          `mean at x = ${x}`,
        ).toBeLessThan(0.1);
      }
    });
    const svg = regressionSvg(result);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('</svg>');
  }, 120_000);
});
