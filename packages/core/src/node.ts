/**
 * `@illia-ts/core/node`: what needs Node's file system, kept out of the main entry so that
 * `@illia-ts/core` runs in browsers. Import both; they share one registry.
 *
 * @example
 * import { saveWeights, loadWeights } from '@illia-ts/core/node';
 * await saveWeights(model, 'model.safetensors');
 * await loadWeights(sameArchitecture, 'model.safetensors');
 */
import { readFile } from 'node:fs/promises';
import type { GaussianDistribution } from './gaussian.js';
import { writeFileAtomic } from './io/atomic-file.js';
import type { LoadStateDictOptions } from './io/state-dict.js';
import {
  deserializeWeights,
  type LoadWeightsResult,
  type SerializeWeightsOptions,
  serializeWeights,
} from './io/weights.js';
import type { Module } from './nn/module.js';
import type { AnyTensor } from './tensor.js';
import { describe } from './validate.js';

export { writeFileAtomic } from './io/atomic-file.js';

function checkPath(where: string, path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`${where}: path must be a non-empty string, got ${describe(path)}`);
  }
  return path;
}

/**
 * Writes the weights of `module` to `path` as safetensors (illia's state-dict names, the illia-ts
 * version and each layer's configuration in the metadata), atomically: a crash mid-write leaves
 * the old file.
 */
export async function saveWeights(
  module: Module<AnyTensor> | GaussianDistribution,
  path: string,
  options: SerializeWeightsOptions = {},
): Promise<void> {
  checkPath('saveWeights', path);
  await writeFileAtomic(path, await serializeWeights(module, options));
}

/**
 * Reads safetensors weights from `path` into `module` (strict by default: every missing or
 * unexpected key, wrong shape or differing prior is one error naming them, and nothing is
 * loaded). Returns what a non-strict load left out, and the file's metadata.
 */
export async function loadWeights(
  module: Module<AnyTensor> | GaussianDistribution,
  path: string,
  options: LoadStateDictOptions = {},
): Promise<LoadWeightsResult> {
  checkPath('loadWeights', path);
  const bytes = await readFile(path);
  try {
    return await deserializeWeights(module, bytes, options);
  } catch (error) {
    if (error instanceof Error) error.message = `${path}: ${error.message}`;
    throw error;
  }
}
