/** The version of `@illia-ts/core`, written into saved files' metadata (a test keeps it equal to package.json's). */
export const VERSION = '0.1.0';
