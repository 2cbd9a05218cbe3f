/** The registered `onnx` backend, made from the environment (see index.ts). */
import { environment } from '#ort';
import { OnnxBackend } from './onnx-backend.js';
import { optionsFromEnv, PROVIDERS_ENV } from './options.js';

/**
 * The backend that `ILLIA_ONNX_PROVIDERS`, `ILLIA_ONNX_THREADS` and `ILLIA_ONNX_DETERMINISTIC`
 * describe. cpu alone needs no probe: made synchronously, so that it is current as soon as the
 * package is imported. A malformed variable throws, and a provider that cannot start rejects, with
 * an error that names the variable and its value (core's ready() and getBackend() report it).
 */
export function backendFromEnv(
  env: Readonly<Record<string, string | undefined>> = environment(),
): OnnxBackend | Promise<OnnxBackend> {
  const options = optionsFromEnv(env);
  if (options.executionProviders === undefined) return new OnnxBackend(options);
  return OnnxBackend.create(options).catch((error: Error) => {
    throw new Error(`${PROVIDERS_ENV}=${JSON.stringify(env[PROVIDERS_ENV])}: ${error.message}`, {
      cause: error,
    });
  });
}
