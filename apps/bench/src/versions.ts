import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The installed version of package `name`, or `'not installed'`. Walks up from its entry point to
 * its package.json, because not every package exports `./package.json`.
 */
export function packageVersion(name: string): string {
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    try {
      // ESM-only packages (an `exports` map without `require`) still resolve their package.json
      // when they export it.
      entry = require.resolve(`${name}/package.json`);
    } catch {
      return 'not installed';
    }
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {
      // no package.json here: keep walking up
    }
  }
  return 'unknown';
}
