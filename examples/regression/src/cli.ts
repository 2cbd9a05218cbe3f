/** `npm run example:regression`: trains, prints the uncertainty outside the data, writes an SVG. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { memory, ready } from '@illia-ts/core';
import { regressionSvg, runRegression } from './regression.js';

// An unknown option is an error (parseArgs names it), not the name of the plot.
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  console.log('usage: npm run example:regression [-- plot.svg]   (default: regression.svg)');
  process.exit(0);
}
// npm runs the script in the example's folder; a path is the caller's (INIT_CWD).
const out = resolve(process.env.INIT_CWD ?? process.cwd(), positionals.at(-1) ?? 'regression.svg');
await ready();
console.log(`Bayesian MLP regression (Blundell et al. 2015) on backend '${memory().backend}'`);
const result = await runRegression({
  onProgress: (step, loss) => {
    if (step % 500 === 0)
      console.log(`  step ${String(step).padStart(5)}  loss ${loss.toFixed(5)}`);
  },
});
writeFileSync(out, regressionSvg(result));
console.log(`predictive std on the training range [0, 0.5]: ${result.stdIn.toFixed(4)}`);
console.log(`predictive std on [0.6, 1.2], away from data: ${result.stdOut.toFixed(4)}`);
console.log(
  `ratio ${(result.stdOut / result.stdIn).toFixed(2)} (goal ≥ 3)   ${result.seconds.toFixed(1)} s   plot: ${out}`,
);
console.log(`live tensors after: ${memory().numTensors}`);
