/**
 * The command line the training examples share: `--save model.safetensors` keeps the trained
 * weights, `--load model.safetensors` skips training, `--help` prints the usage; an unknown
 * option is an error that names it. Settings come from the environment (`MNIST_EPOCHS=3`).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** What {@link commandLine} read. */
export interface CommandLine {
  /** A path option (`save`, `load` or one of `extra`) resolved against the caller's folder. */
  path(option: string): string | undefined;
  /** The environment variable `name` as a number, or undefined where it is not set. */
  numeric(name: string): number | undefined;
}

/**
 * Reads `argv` (default: the process's) with the path options `save`, `load` and `extra`.
 * `usage` is printed for `--help`, after which the process exits.
 */
export function commandLine(
  usage: string,
  extra: readonly string[] = [],
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): CommandLine {
  const options: Record<string, { type: 'string' } | { type: 'boolean'; short: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const name of ['save', 'load', ...extra]) options[name] = { type: 'string' };
  const { values } = parseArgs({ args: argv, options });
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  // npm runs the script in the example's folder; paths are the caller's (INIT_CWD).
  const base = env.INIT_CWD ?? process.cwd();
  return {
    path: (option) => {
      const value = values[option];
      return typeof value === 'string' ? resolve(base, value) : undefined;
    },
    numeric: (name) => {
      const value = env[name];
      if (value === undefined) return undefined;
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) {
        throw new Error(`${name}: expected a number, got '${value}'`);
      }
      return n;
    },
  };
}
