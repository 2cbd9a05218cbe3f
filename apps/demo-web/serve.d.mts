/** Starts the demo's server on 127.0.0.1 (port 0: a free one); resolves to its URL. */
export function startServer(options?: {
  port?: number;
  isolated?: boolean;
}): Promise<{ url: string; close: () => Promise<void> }>;
