import type { Options } from 'tsup';

/** What every workspace's build shares: ES modules for Node 20 and browsers, from a clean `dist`. */
export const app = { format: ['esm'], clean: true, target: 'es2022' } satisfies Options;

/** A published package's build: {@link app} plus type declarations and source maps. */
export const library = { ...app, dts: true, sourcemap: true } satisfies Options;
