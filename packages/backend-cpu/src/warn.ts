/** Process warnings: Node's `process.emitWarning`, `console.warn` elsewhere. */

/** Emits `message` with `code`. */
export function warn(message: string, code: string): void {
  const proc = (
    globalThis as {
      process?: { emitWarning?: (message: string, options: { code: string }) => void };
    }
  ).process;
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(message, { code });
  else console.warn(`${code}: ${message}`);
}

const said = new Set<string>();

/** {@link warn}, unless the same message was emitted before in this process. */
export function warnOnce(message: string, code: string): void {
  if (said.has(message)) return;
  said.add(message);
  warn(message, code);
}
