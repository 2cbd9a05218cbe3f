/**
 * ONNX Runtime in Node: onnxruntime-node (native, every execution provider its build has). The
 * package imports ONNX Runtime only through `#ort` (package.json `imports`), which is this module
 * in Node and `./web.ts` in browsers; both export the same names.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';

export { ort };

/** The npm package that runs the graphs here, for messages. */
export const RUNTIME: string = 'onnxruntime-node';

/** Hardware threads of this machine. */
export function hardwareThreads(): number {
  return availableParallelism();
}

/** Execution providers this ONNX Runtime build knows, with whether they are bundled. */
export function supportedProviders(): { name: string; bundled: boolean }[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

/** The environment variables (`ILLIA_ONNX_*`) of this process. */
export function environment(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
